package dev.balancer.config;

import java.time.Duration;
import java.util.concurrent.TimeUnit;

import io.netty.channel.EventLoopGroup;
import io.netty.channel.IoEventLoopGroup;
import io.netty.channel.IoHandler;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.uring.IoUring;
import io.netty.channel.uring.IoUringIoHandler;
import io.netty.util.concurrent.DefaultThreadFactory;
import io.netty.util.concurrent.EventExecutor;
import org.jspecify.annotations.Nullable;
import reactor.core.publisher.Mono;
import reactor.netty.ReactorNetty;
import reactor.netty.resources.LoopResources;

import dev.balancer.config.BalancerProperties.Transport;

/**
 * The event loops of the balancer's server and its backend connections, on the transport
 * {@code balancer.transport} names. The health probes have a loop of their own on the same transport
 * ({@link ProbeLoopResources}).
 * <p>
 * Reactor Netty picks io_uring, then epoll, then NIO, whichever is available first, and has no setting to choose
 * among the native ones ({@code -Dreactor.netty.native=false} only turns them all off). For an explicit choice
 * the balancer makes the loops itself, laid out as Reactor Netty lays out its own: one group of
 * {@link LoopResources#DEFAULT_IO_WORKER_COUNT} daemon threads serves client connections, and the same group,
 * colocated, opens the connections to backends, so that a backend connection opened for a request lives on the
 * loop that serves the request. The explicit choice holds whatever Reactor Netty's {@code useNative} flags ask
 * for.
 * <p>
 * How many loops serve clients depends on the transport. On io_uring, Reactor Netty's default: as many as there are
 * CPUs, and at least four. On epoll and NIO, one per CPU: on 2 CPUs two epoll loops served 12-35% more requests
 * per second than four, at less CPU per request, in each of seven alternating pairs of runs, and two NIO loops
 * 13-17% more in two (docs/performance-log.md, eleventh round), while on io_uring four stayed ahead of two (seventh
 * round). More loops than CPUs take turns on
 * them, and each finds fewer events per wake-up to handle together. {@code -Dreactor.netty.ioWorkerCount} sets the
 * number for every transport.
 * <p>
 * On every transport, {@code auto} included, new client connections are accepted by a loop of their own, one
 * thread that does nothing else (Reactor Netty's "select" group, which it shares with the serving loops unless
 * asked). On a shared loop, accepting waited its turn behind the requests of that loop's clients: under full load
 * 256 new connections took about 3 s to be accepted on epoll, and their first requests waited as long
 * (docs/performance-log.md, sixth round).
 */
final class TransportLoopResources implements LoopResources {

	private static final String PREFIX = "reactor-http";

	private final EventLoopGroup acceptor;

	private final EventLoopGroup loops;

	private final EventLoopGroup colocated;

	private TransportLoopResources(String name) {
		IoHandlerFactory handlers = handlers(name);
		this.acceptor = new MultiThreadIoEventLoopGroup(1,
				new DefaultThreadFactory(PREFIX + "-" + name + "-accept", true), handlers);
		this.loops = new MultiThreadIoEventLoopGroup(servingLoops(name),
				new DefaultThreadFactory(PREFIX + "-" + name, true), handlers);
		this.colocated = LoopResources.colocate(this.loops);
	}

	/** New event loops on the given transport; for {@code auto}, Reactor Netty's own, with a loop to accept. */
	static LoopResources create(Transport transport) {
		return switch (transport) {
			case AUTO -> reactorNettysChoice();
			case IO_URING -> new TransportLoopResources("io_uring");
			case EPOLL -> new TransportLoopResources("epoll");
			case NIO -> new TransportLoopResources("nio");
		};
	}

	/** Netty's handlers for the transport {@link #describe} names; NIO for any other name. */
	static IoHandlerFactory handlers(String transport) {
		return switch (transport) {
			case "io_uring" -> IoUringIoHandler.newFactory();
			case "epoll" -> EpollIoHandler.newFactory();
			default -> NioIoHandler.newFactory();
		};
	}

	/**
	 * Reactor Netty's loops on the transport it picks, as many as suit that transport. Reactor Netty does not say
	 * which it will pick before it makes the loops, so they are made first and, when they are too many, made again.
	 * The first ones have served nothing; shutting them down only closes what they opened.
	 */
	private static LoopResources reactorNettysChoice() {
		LoopResources loops = LoopResources.create(PREFIX, 1, DEFAULT_IO_WORKER_COUNT, true);
		int suited = servingLoops(describe(loops));
		if (suited == DEFAULT_IO_WORKER_COUNT) {
			return loops;
		}
		loops.dispose();
		return LoopResources.create(PREFIX, 1, suited, true);
	}

	/** How many loops serve clients on the transport ({@link #describe} names it) on this machine. */
	static int servingLoops(String transport) {
		if (System.getProperty(ReactorNetty.IO_WORKER_COUNT) != null) {
			return DEFAULT_IO_WORKER_COUNT; // Reactor Netty read the property when it loaded
		}
		return servingLoops(transport, Runtime.getRuntime().availableProcessors());
	}

	/** How many loops serve clients on the transport with this many CPUs, unless the property says. */
	static int servingLoops(String transport, int cpus) {
		// on io_uring Reactor Netty's default
		return transport.equals("io_uring") ? Math.max(cpus, 4) : cpus;
	}

	/** How many loops serve clients on the given loops. */
	static int servingLoops(LoopResources resources) {
		int count = 0;
		for (EventExecutor ignored : resources.onServer(DEFAULT_NATIVE)) {
			count++;
		}
		return count;
	}

	/** Why the transport cannot run on this machine, or {@code null} when it can. */
	static @Nullable Throwable unavailability(Transport transport) {
		return switch (transport) {
			case AUTO, NIO -> null;
			case IO_URING -> IoUring.unavailabilityCause();
			case EPOLL -> Epoll.unavailabilityCause();
		};
	}

	/** The transport that serves clients on the given loops: {@code io_uring}, {@code epoll} or {@code nio}. */
	static String describe(LoopResources resources) {
		if (servesOn(resources, IoUringIoHandler.class)) {
			return "io_uring";
		}
		if (servesOn(resources, EpollIoHandler.class)) {
			return "epoll";
		}
		if (servesOn(resources, NioIoHandler.class)) {
			return "nio";
		}
		return resources.onServer(DEFAULT_NATIVE).getClass().getSimpleName();
	}

	private static boolean servesOn(LoopResources resources, Class<? extends IoHandler> transport) {
		return resources.onServer(DEFAULT_NATIVE) instanceof IoEventLoopGroup io && io.isIoType(transport);
	}

	@Override
	public EventLoopGroup onServerSelect(boolean useNative) {
		return this.acceptor;
	}

	@Override
	public EventLoopGroup onServer(boolean useNative) {
		return this.loops;
	}

	@Override
	public EventLoopGroup onClient(boolean useNative) {
		return this.colocated;
	}

	@Override
	public boolean daemon() {
		return true;
	}

	@Override
	public Mono<Void> disposeLater(Duration quietPeriod, Duration timeout) {
		return Mono.when(shutDown(this.acceptor, quietPeriod, timeout), shutDown(this.loops, quietPeriod, timeout));
	}

	/** Shuts the group down; completes when it has terminated. */
	static Mono<Void> shutDown(EventLoopGroup group, Duration quietPeriod, Duration timeout) {
		return Mono.create((sink) -> group
			.shutdownGracefully(quietPeriod.toMillis(), timeout.toMillis(), TimeUnit.MILLISECONDS)
			.addListener((terminated) -> sink.success()));
	}

	@Override
	public boolean isDisposed() {
		return this.acceptor.isShuttingDown() && this.loops.isShuttingDown();
	}

}
