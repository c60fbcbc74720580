package dev.balancer.config;

import java.time.Duration;
import java.util.concurrent.TimeUnit;

import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.util.concurrent.DefaultThreadFactory;
import reactor.core.publisher.Mono;
import reactor.netty.resources.LoopResources;

/**
 * The event loop of the active health probes: one thread of their own, on the transport of the serving loops.
 * <p>
 * On the serving loops a probe waited its turn behind the clients' requests. Under overload (3,000 concurrent
 * uploads on 2 CPUs) that wait outlasted the probe timeout: every backend was marked DOWN at once and the
 * balancer answered every request with a 503, while the backends answered their health path directly in at most
 * 22 ms (docs/performance-log.md, "Health probes on a loop of their own"). Whether a backend is healthy must not
 * depend on how busy the balancer is; Envoy, for the same reason, runs its health checks on its main thread, away
 * from the workers that proxy. Reactor Netty has no loop for such work, hence this one.
 */
final class ProbeLoopResources implements LoopResources {

	private static final String THREAD_NAME = "balancer-probes";

	private final EventLoopGroup loop;

	/** A loop on the transport the given loops serve on ({@link TransportLoopResources#describe}). */
	ProbeLoopResources(LoopResources serving) {
		this.loop = new MultiThreadIoEventLoopGroup(1, new DefaultThreadFactory(THREAD_NAME, true),
				TransportLoopResources.handlers(TransportLoopResources.describe(serving)));
	}

	@Override
	public EventLoopGroup onServer(boolean useNative) {
		return this.loop;
	}

	@Override
	public EventLoopGroup onClient(boolean useNative) {
		return this.loop;
	}

	@Override
	public boolean daemon() {
		return true;
	}

	/**
	 * Stops the loop without waiting for it: the health checks have stopped by then ({@code HealthCheckSchedule}),
	 * and its thread is a daemon.
	 */
	@Override
	public void dispose() {
		this.loop.shutdownGracefully(0, 1, TimeUnit.SECONDS);
	}

	@Override
	public Mono<Void> disposeLater(Duration quietPeriod, Duration timeout) {
		return TransportLoopResources.shutDown(this.loop, quietPeriod, timeout);
	}

	@Override
	public boolean isDisposed() {
		return this.loop.isShuttingDown();
	}

}
