package dev.balancer.routing;

/**
 * Whether the balancer's event loops are stopping: the graceful drain is over (the clients' connections closed,
 * or the drain timed out) and Spring closes the backend connections and then the loops. Requests still at work
 * fail for it: no backend connection can be opened on a loop that is shutting down ({@code IllegalStateException:
 * IoUringIoHandler is shutting down}), and those open are closed under them. Neither is the backend's doing nor a
 * fault of the balancer's, so such failures are answered with a 503 and logged at INFO, where they were 502s that
 * blamed the backend and ERRORs with stack traces.
 */
public final class Stopping {

	/** What a client is told of a request the stop failed. */
	public static final String ANSWER = "The balancer is shutting down";

	private volatile boolean underWay;

	/** Marks the stop as begun: called as the backend connections and event loops are closed. */
	public void begin() {
		this.underWay = true;
	}

	public boolean isUnderWay() {
		return this.underWay;
	}

}
