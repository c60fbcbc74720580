package dev.balancer.health;

import org.jspecify.annotations.Nullable;

/**
 * The outcome of one health probe: alive or not, and why not. A failed probe is data, never an exception.
 *
 * @param alive whether the backend answered with a status below 500 in time
 * @param error short reason when not alive, such as {@code connection refused} or {@code status 503}
 */
public record ProbeResult(boolean alive, @Nullable String error) {

	private static final ProbeResult ALIVE = new ProbeResult(true, null);

	public static ProbeResult healthy() {
		return ALIVE;
	}

	public static ProbeResult failed(String error) {
		return new ProbeResult(false, error);
	}

}
