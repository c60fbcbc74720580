package dev.balancer.config;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.socket.ServerSocketChannel;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.channel.uring.IoUring;
import io.netty.channel.uring.IoUringServerSocketChannel;
import io.netty.channel.uring.IoUringSocketChannel;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import reactor.netty.ReactorNetty;
import reactor.netty.resources.LoopResources;

import dev.balancer.config.BalancerProperties.Transport;

import static org.assertj.core.api.Assertions.assertThat;

/** The event loops each {@code balancer.transport} makes: their channels, threads, colocation and shutdown. */
class TransportLoopResourcesTests {

	@ParameterizedTest
	@EnumSource(names = { "IO_URING", "EPOLL", "NIO" })
	void eachTransportServesAndConnectsOnItsOwnChannels(Transport transport) {
		Assumptions.assumeTrue(TransportLoopResources.unavailability(transport) == null, transport + " not here");
		LoopResources loops = TransportLoopResources.create(transport);
		try {
			EventLoopGroup server = loops.onServer(true);
			EventLoopGroup client = loops.onClient(true);
			Class<?>[] expected = switch (transport) {
				case IO_URING -> new Class<?>[] { IoUringServerSocketChannel.class, IoUringSocketChannel.class };
				case EPOLL -> new Class<?>[] { EpollServerSocketChannel.class, EpollSocketChannel.class };
				default -> new Class<?>[] { NioServerSocketChannel.class, NioSocketChannel.class };
			};
			assertThat(loops.onChannelClass(ServerSocketChannel.class, server)).isEqualTo(expected[0]);
			assertThat(loops.onChannelClass(SocketChannel.class, client)).isEqualTo(expected[1]);
			assertAcceptsOnALoopOfItsOwn(loops, expected[0]);
			assertThat(TransportLoopResources.describe(loops)).isEqualTo(transport.name().toLowerCase());
			int serving = expectedServingLoops(transport == Transport.IO_URING);
			assertThat(server).hasSize(serving);
			assertThat(TransportLoopResources.servingLoops(loops)).isEqualTo(serving);
		}
		finally {
			dispose(loops);
		}
	}

	@Test
	void oneServingLoopPerCpuOnEpollAndNioAtLeastFourOnIoUring() {
		assertThat(TransportLoopResources.servingLoops("epoll", 2)).isEqualTo(2);
		assertThat(TransportLoopResources.servingLoops("nio", 1)).isEqualTo(1);
		assertThat(TransportLoopResources.servingLoops("epoll", 8)).isEqualTo(8);
		assertThat(TransportLoopResources.servingLoops("io_uring", 2)).isEqualTo(4);
		assertThat(TransportLoopResources.servingLoops("io_uring", 8)).isEqualTo(8);
	}

	@Test
	void ioWorkerCountSetsTheNumberOfLoopsOnEveryTransport() {
		String before = System.getProperty(ReactorNetty.IO_WORKER_COUNT);
		System.setProperty(ReactorNetty.IO_WORKER_COUNT, "7");
		try {
			// Reactor Netty read the property when it loaded; the balancer defers to what it read.
			assertThat(TransportLoopResources.servingLoops("epoll")).isEqualTo(LoopResources.DEFAULT_IO_WORKER_COUNT);
			assertThat(TransportLoopResources.servingLoops("nio")).isEqualTo(LoopResources.DEFAULT_IO_WORKER_COUNT);
		}
		finally {
			if (before == null) {
				System.clearProperty(ReactorNetty.IO_WORKER_COUNT);
			}
			else {
				System.setProperty(ReactorNetty.IO_WORKER_COUNT, before);
			}
		}
		assertThat(TransportLoopResources.servingLoops("epoll")).isEqualTo(Runtime.getRuntime().availableProcessors());
	}

	@Test
	void autoIsReactorNettysChoiceIoUringFirst() {
		LoopResources loops = TransportLoopResources.create(Transport.AUTO);
		try {
			assertThat(TransportLoopResources.describe(loops)).isEqualTo(IoUring.isAvailable() ? "io_uring" : "epoll");
			assertThat(loops.onServer(true)).hasSize(expectedServingLoops(IoUring.isAvailable()));
			assertAcceptsOnALoopOfItsOwn(loops,
					IoUring.isAvailable() ? IoUringServerSocketChannel.class : EpollServerSocketChannel.class);
		}
		finally {
			dispose(loops);
		}
	}

	@Test
	void threadsAreNamedDaemonsAndBackendConnectionsStayOnTheRequestsLoop() throws Exception {
		LoopResources loops = TransportLoopResources.create(Transport.EPOLL);
		try {
			EventLoop serving = loops.onServer(true).next();
			// Without colocation the client group would hand out its loops in turn.
			Thread thread = serving.submit(Thread::currentThread).get(5, TimeUnit.SECONDS);
			List<EventLoop> picked = serving.submit(() -> Stream.generate(() -> loops.onClient(true).next())
				.limit(8)
				.toList()).get(5, TimeUnit.SECONDS);

			Thread accepting = loops.onServerSelect(true).next().submit(Thread::currentThread).get(5, TimeUnit.SECONDS);

			assertThat(thread.getName()).startsWith("reactor-http-epoll-");
			assertThat(thread.isDaemon()).isTrue();
			assertThat(accepting.getName()).startsWith("reactor-http-epoll-accept-");
			assertThat(accepting.isDaemon()).isTrue();
			assertThat(picked).allSatisfy((loop) -> assertThat(loop).isSameAs(serving));
		}
		finally {
			dispose(loops);
		}
	}

	@Test
	void disposingStopsTheLoops() {
		LoopResources loops = TransportLoopResources.create(Transport.NIO);
		EventLoopGroup group = loops.onServer(true);
		EventLoopGroup acceptor = loops.onServerSelect(true);
		assertThat(loops.isDisposed()).isFalse();

		dispose(loops);

		assertThat(loops.isDisposed()).isTrue();
		assertThat(group.isTerminated()).isTrue();
		assertThat(acceptor.isTerminated()).isTrue();
	}

	@Test
	void nioAndAutoRunEverywhereAndEpollOnLinux() {
		assertThat(TransportLoopResources.unavailability(Transport.NIO)).isNull();
		assertThat(TransportLoopResources.unavailability(Transport.AUTO)).isNull();
		// The jar carries epoll's native code for x86-64 and ARM64 Linux; why a transport cannot run, when it
		// cannot: StartupIT, with native transports turned off.
		Assumptions.assumeTrue(System.getProperty("os.name").startsWith("Linux"), "not Linux");
		assertThat(TransportLoopResources.unavailability(Transport.EPOLL)).isNull();
	}

	/**
	 * Reactor Netty's default on io_uring, one per CPU on the others; the build runs without
	 * {@code reactor.netty.ioWorkerCount}.
	 */
	private static int expectedServingLoops(boolean ioUring) {
		int cpus = Runtime.getRuntime().availableProcessors();
		return ioUring ? Math.max(cpus, 4) : cpus;
	}

	/** One loop, on the same transport, that serves no client: a busy serving loop cannot hold up accepting. */
	private static void assertAcceptsOnALoopOfItsOwn(LoopResources loops, Class<?> serverChannel) {
		EventLoopGroup acceptor = loops.onServerSelect(true);
		EventLoopGroup serving = loops.onServer(true);
		assertThat(acceptor).isNotSameAs(serving);
		assertThat(acceptor).hasSize(1);
		assertThat(serving).doesNotContain(acceptor.next());
		assertThat(loops.onChannelClass(ServerSocketChannel.class, acceptor)).isEqualTo(serverChannel);
	}

	private static void dispose(LoopResources loops) {
		loops.disposeLater(Duration.ZERO, Duration.ofSeconds(5)).block(Duration.ofSeconds(10));
	}

}
