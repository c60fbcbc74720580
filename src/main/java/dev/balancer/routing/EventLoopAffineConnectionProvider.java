package dev.balancer.routing;

import java.net.SocketAddress;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntFunction;
import java.util.function.Supplier;

import io.netty.resolver.AddressResolverGroup;
import io.netty.util.concurrent.FastThreadLocal;
import io.netty.util.internal.ThreadExecutorMap;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.netty.Connection;
import reactor.netty.ConnectionObserver;
import reactor.netty.resources.ConnectionProvider;
import reactor.netty.transport.TransportConfig;

/**
 * Backend connections pooled per event loop: a request received on one event loop is sent on a connection of
 * that same loop, so proxying it never hands work to another thread.
 * <p>
 * Reactor Netty's pools are shared by all event loops: a request read on loop A often got a connection
 * registered on loop B, and every write to the backend and every write of its response back to the client
 * became a task for the other loop, with a wake-up system call. Reactor Netty creates a new connection on the
 * calling event loop (its loops are colocated), so one pool per loop keeps each request on one thread. The
 * library has no such option (reactor-pool's thread-affinity pool was removed), hence this class.
 * <p>
 * Acquisitions from threads that are not event loops (a retry after a back-off pause runs on a scheduler
 * thread) use a shared pool.
 * <p>
 * A first version was withdrawn for a 1 s latency tail when many clients connected at once under full load, on
 * epoll. That tail came from accepting connections on a serving loop, which per-loop pools made busier; the
 * balancer now accepts on a loop of its own (docs/performance-log.md, sixth round).
 */
public final class EventLoopAffineConnectionProvider implements ConnectionProvider {

	private final IntFunction<ConnectionProvider> pools;

	private final ConnectionProvider shared;

	private final List<ConnectionProvider> all = new CopyOnWriteArrayList<>();

	private final AtomicInteger nextIndex = new AtomicInteger(1);

	private final FastThreadLocal<ConnectionProvider> perLoop = new FastThreadLocal<>() {
		@Override
		protected ConnectionProvider initialValue() {
			if (ThreadExecutorMap.currentExecutor() == null) {
				return EventLoopAffineConnectionProvider.this.shared;
			}
			ConnectionProvider pool = EventLoopAffineConnectionProvider.this.pools
				.apply(EventLoopAffineConnectionProvider.this.nextIndex.getAndIncrement());
			EventLoopAffineConnectionProvider.this.all.add(pool);
			return pool;
		}
	};

	/**
	 * @param pools creates the pool with the given index, one per event loop that asks and one shared (index 0);
	 * each call must return a new provider
	 */
	public EventLoopAffineConnectionProvider(IntFunction<ConnectionProvider> pools) {
		this.pools = pools;
		this.shared = pools.apply(0);
		this.all.add(this.shared);
	}

	@Override
	public Mono<? extends Connection> acquire(TransportConfig config, ConnectionObserver observer,
			Supplier<? extends SocketAddress> remoteAddress, AddressResolverGroup<?> resolverGroup) {
		return this.perLoop.get().acquire(config, observer, remoteAddress, resolverGroup);
	}

	/** How many pools exist: the shared one and one per event loop that has acquired a connection. */
	int pools() {
		return this.all.size();
	}

	@Override
	public void disposeWhen(SocketAddress address) {
		this.all.forEach((pool) -> pool.disposeWhen(address));
	}

	@Override
	public Mono<Void> disposeLater() {
		return Flux.fromIterable(this.all).flatMap(ConnectionProvider::disposeLater).then();
	}

	@Override
	public boolean isDisposed() {
		return this.all.stream().allMatch(ConnectionProvider::isDisposed);
	}

	@Override
	public int maxConnections() {
		return this.shared.maxConnections();
	}

	@Override
	public String name() {
		return this.shared.name();
	}

}
