package dev.balancer.routing;

import java.net.SocketAddress;
import java.util.concurrent.atomic.AtomicInteger;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import org.jspecify.annotations.Nullable;
import reactor.netty.ConnectionObserver;
import reactor.netty.http.server.HttpServer;

/**
 * At most {@code balancer.max-connections} client connections open at once: at the limit the balancer stops
 * accepting, and new clients wait in the kernel's listen queue until a connection closes, as with nginx's
 * {@code worker_connections} and HAProxy's {@code maxconn}. Each open connection holds memory (8,000 idle
 * keep-alive connections took 270 MB here, with a backend connection each); without a limit, a flood of connections
 * grows the process until the container's memory limit kills it, and every client with it. Reactor Netty and Spring
 * Boot have no such limit.
 * <p>
 * For the port clients connect to only: the management port keeps answering probes and scrapes at the limit.
 */
public final class ConnectionLimit {

	private final int max;

	private final AtomicInteger open = new AtomicInteger();

	private volatile @Nullable Channel listener;

	public ConnectionLimit(int max) {
		this.max = max;
	}

	/** The server, counting its connections and pausing its accepting at the limit. */
	public HttpServer apply(HttpServer server) {
		return server.doOnBound((bound) -> listenOn(bound.channel())).doOnChannelInit(this::opened);
	}

	/** The server's listening channel, whose accepting is paused at the limit. */
	void listenOn(Channel listener) {
		this.listener = listener;
		accepting();
	}

	/** Publishes the count as {@code balancer.client.connections}. */
	public ConnectionLimit registerWith(MeterRegistry meters) {
		Gauge.builder("balancer.client.connections", this.open, AtomicInteger::get)
			.description("Client connections open, at most balancer.max-connections")
			.register(meters);
		return this;
	}

	/** Counts a new client connection until it closes. */
	void opened(ConnectionObserver observer, Channel channel, @Nullable SocketAddress remoteAddress) {
		if (this.open.incrementAndGet() >= this.max) {
			accepting();
		}
		channel.closeFuture().addListener((ChannelFutureListener) (closed) -> {
			if (this.open.decrementAndGet() >= this.max - 1) {
				accepting();
			}
		});
	}

	/**
	 * Accepts new connections while fewer than the limit are open. Under a lock, so that the last of two changes
	 * that race decides with the count after both.
	 */
	private synchronized void accepting() {
		Channel listener = this.listener;
		if (listener != null) {
			boolean accept = this.open.get() < this.max;
			if (listener.config().isAutoRead() != accept) {
				listener.config().setAutoRead(accept);
			}
		}
	}

	/** Client connections open now. */
	public int open() {
		return this.open.get();
	}

}
