package dev.balancer.config;

import java.time.Duration;

import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;

import dev.balancer.routing.Stopping;

import org.springframework.http.client.ReactorResourceFactory;

/**
 * The balancer's Reactor Netty resources (its event loops and backend connection pool), with two things Spring's
 * factory does not do when the application stops.
 * <p>
 * It marks the stop as begun ({@link Stopping}) before the backend connections and the loops close, so that the
 * requests they fail are answered as the balancer's stop, not blamed on the backend.
 * <p>
 * It waits for the loops a bounded time. Spring's factory waits for them without a limit, and a Netty 4.2.18
 * io_uring loop can fail to stop at all: after 3,000 concurrent uploads, SIGTERM left loops waiting in
 * {@code IoUringIoHandler.prepareToDestroy} for I/O that never completed, in 2 runs of 10 with Netty's multishot
 * poll and in 7 of 7 with a poll for each wait ({@code BalancerApplication}), on
 * {@code balancer.transport=io_uring}, and the process never exited (docs/performance-log.md, "A reset in the middle of
 * an upload"). Netty's own shutdown timeout bounds a loop that is busy, not one blocked in the kernel, so a loop
 * still running a second after it is left behind, with a warning. The process exits all the same: the SIGTERM
 * handler calls System.exit, and the loop threads are daemons.
 */
final class BalancerResourceFactory extends ReactorResourceFactory {

	private static final Log logger = LogFactory.getLog("dev.balancer");

	/** How long past Netty's shutdown timeout a loop is waited for before it is taken as stuck. */
	private static final Duration STUCK_AFTER = Duration.ofSeconds(1);

	private final Stopping stopping;

	// Spring's factory has setters for these and no getters: kept here too, for the limit of the wait
	private Duration quietPeriod = Duration.ZERO;

	private Duration timeout = Duration.ZERO;

	BalancerResourceFactory(Stopping stopping, Duration quietPeriod, Duration timeout) {
		this.stopping = stopping;
		setUseGlobalResources(false);
		setShutdownQuietPeriod(quietPeriod);
		setShutdownTimeout(timeout);
	}

	@Override
	public void setShutdownQuietPeriod(Duration shutdownQuietPeriod) {
		super.setShutdownQuietPeriod(shutdownQuietPeriod);
		this.quietPeriod = shutdownQuietPeriod;
	}

	@Override
	public void setShutdownTimeout(Duration shutdownTimeout) {
		super.setShutdownTimeout(shutdownTimeout);
		this.timeout = shutdownTimeout;
	}

	@Override
	public void stop() {
		this.stopping.begin(); // before the backend connections and the loops are closed
		Thread closing = new Thread(super::stop, "balancer-event-loops-stop");
		closing.setDaemon(true);
		closing.start();
		Duration limit = this.quietPeriod.plus(this.timeout).plus(STUCK_AFTER);
		try {
			closing.join(limit.toMillis());
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
		}
		if (closing.isAlive()) {
			logger.warn("The event loops did not stop within " + limit.toMillis() + " ms; exiting without them");
		}
	}

}
