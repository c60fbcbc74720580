package dev.balancer.routing;

import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

import io.netty.channel.EventLoop;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.resolver.AddressResolverGroup;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Mono;
import reactor.netty.Connection;
import reactor.netty.ConnectionObserver;
import reactor.netty.resources.ConnectionProvider;
import reactor.netty.transport.TransportConfig;

import static org.assertj.core.api.Assertions.assertThat;

class EventLoopAffineConnectionProviderTests {

	static final MultiThreadIoEventLoopGroup loops = new MultiThreadIoEventLoopGroup(2,
			NioIoHandler.newFactory());

	@AfterAll
	static void stopLoops() {
		loops.shutdownGracefully(0, 1, TimeUnit.SECONDS);
	}

	final List<RecordingPool> created = new ArrayList<>();

	final EventLoopAffineConnectionProvider provider = new EventLoopAffineConnectionProvider((index) -> {
		RecordingPool pool = new RecordingPool(index);
		this.created.add(pool);
		return pool;
	});

	@Test
	void eachEventLoopAcquiresFromAPoolOfItsOwn() throws Exception {
		EventLoop first = loops.next();
		EventLoop second = loops.next();
		assertThat(first).isNotSameAs(second);

		int a1 = acquireOn(first);
		int a2 = acquireOn(first);
		int b = acquireOn(second);

		assertThat(a1).isEqualTo(a2).isNotZero();
		assertThat(b).isNotZero().isNotEqualTo(a1);
		assertThat(this.provider.pools()).isEqualTo(3);
	}

	@Test
	void threadsThatAreNotEventLoopsShareOnePool() throws Exception {
		int fromTestThread = acquire();
		int fromAnotherThread = CompletableFuture.supplyAsync(this::acquire).get(5, TimeUnit.SECONDS);

		assertThat(fromTestThread).isZero();
		assertThat(fromAnotherThread).isZero();
		assertThat(this.provider.pools()).isEqualTo(1);
	}

	@Test
	void disposingDisposesEveryPool() throws Exception {
		acquireOn(loops.next());

		this.provider.disposeLater().block();

		assertThat(this.created).hasSize(2).allMatch(RecordingPool::isDisposed);
		assertThat(this.provider.isDisposed()).isTrue();
	}

	@Test
	void closingABackendClosesItInEveryPool() throws Exception {
		acquireOn(loops.next());
		SocketAddress backend = InetSocketAddress.createUnresolved("backend", 8081);

		this.provider.disposeWhen(backend);

		assertThat(this.created).hasSize(2).allMatch((pool) -> backend.equals(pool.disposedFor));
	}

	private int acquireOn(EventLoop loop) throws Exception {
		return loop.submit(this::acquire).get(5, TimeUnit.SECONDS);
	}

	/** The index of the pool the connection came from. */
	private int acquire() {
		return ((IndexConnection) this.provider.acquire(null, ConnectionObserver.emptyListener(), () -> null, null)
			.block()).index();
	}

	record IndexConnection(int index) implements Connection {
		@Override
		public io.netty.channel.Channel channel() {
			throw new UnsupportedOperationException();
		}
	}

	static final class RecordingPool implements ConnectionProvider {

		final int index;

		volatile boolean disposed;

		volatile SocketAddress disposedFor;

		RecordingPool(int index) {
			this.index = index;
		}

		@Override
		public Mono<? extends Connection> acquire(TransportConfig config, ConnectionObserver observer,
				Supplier<? extends SocketAddress> remoteAddress, AddressResolverGroup<?> resolverGroup) {
			return Mono.just(new IndexConnection(this.index));
		}

		@Override
		public Mono<Void> disposeLater() {
			return Mono.fromRunnable(() -> this.disposed = true);
		}

		@Override
		public boolean isDisposed() {
			return this.disposed;
		}

		@Override
		public void disposeWhen(SocketAddress address) {
			this.disposedFor = address;
		}

	}

}
