package dev.balancer.routing;

import java.time.Duration;
import java.util.function.IntSupplier;

import io.netty.channel.Channel;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.util.concurrent.GlobalEventExecutor;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;

import org.springframework.boot.web.server.context.WebServerApplicationContext;
import org.springframework.context.SmartLifecycle;

/**
 * Answers the requests still waiting for a backend when the drain timeout ends with the 503 "The balancer is
 * shutting down", before the proxy's server stops.
 * <p>
 * Spring stops the server right after the drain, timed out or not, and the event loops after that. A request still
 * at work was failed only by the loops' stop, when its client's connection had been closed already: the client got
 * an empty reply, while the log said it had been answered. Here, once the drain is over, every backend connection
 * still open is closed: the requests on them fail, {@link FailoverFilter} answers each with the 503 and closes its
 * connection, and the stop waits for those connections a bounded time. Neither Spring nor Reactor Netty has a hook
 * between the end of the drain and the closing of the server's connections, hence this lifecycle, in that gap.
 */
public final class DrainDeadline implements SmartLifecycle {

	private static final Log logger = LogFactory.getLog("dev.balancer");

	/** How long the answers get to go out. */
	static final Duration ANSWERS_WAIT = Duration.ofSeconds(2);

	private final Stopping stopping;

	private final IntSupplier requestsInFlight;

	private final IntSupplier clientConnections;

	private final ChannelGroup backendConnections = new DefaultChannelGroup("balancer-backends",
			GlobalEventExecutor.INSTANCE);

	private volatile boolean running;

	/**
	 * @param requestsInFlight the requests in flight to backends now ({@link InFlightRequests})
	 * @param clientConnections the client connections open now ({@link ConnectionLimit})
	 */
	public DrainDeadline(Stopping stopping, IntSupplier requestsInFlight, IntSupplier clientConnections) {
		this.stopping = stopping;
		this.requestsInFlight = requestsInFlight;
		this.clientConnections = clientConnections;
	}

	/** Holds a new backend connection until it closes (the group lets go of closed ones itself). */
	public void opened(Channel backendConnection) {
		this.backendConnections.add(backendConnection);
	}

	@Override
	public void start() {
		this.running = true;
	}

	@Override
	public void stop() {
		this.running = false;
		int waiting = this.requestsInFlight.getAsInt();
		if (waiting == 0) {
			return; // the drain ended with every request done
		}
		logger.info("The drain timeout is over with " + waiting + " request" + ((waiting == 1) ? "" : "s")
				+ " still at work: answering with 503");
		this.stopping.begin();
		this.backendConnections.close();
		long deadline = System.nanoTime() + ANSWERS_WAIT.toNanos();
		while ((this.requestsInFlight.getAsInt() > 0 || this.clientConnections.getAsInt() > 0)
				&& System.nanoTime() < deadline) {
			try {
				Thread.sleep(10);
			}
			catch (InterruptedException ex) {
				Thread.currentThread().interrupt();
				return;
			}
		}
	}

	@Override
	public boolean isRunning() {
		return this.running;
	}

	/** After the drain's phase, before the phase that stops the server and closes its connections. */
	@Override
	public int getPhase() {
		return WebServerApplicationContext.GRACEFUL_SHUTDOWN_PHASE - 512;
	}

}
