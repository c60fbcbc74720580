package dev.balancer.health;

import java.time.Instant;

import org.jspecify.annotations.Nullable;

/**
 * What the balancer currently believes about one backend.
 *
 * @param up whether requests may be sent to it
 * @param lastCheck when it was last probed, {@code null} before the first probe
 * @param lastError why it was last found down, kept after it recovers; {@code null} if it never failed
 * @param upSince when it last came back up; {@code null} while it has been up since start-up
 */
public record BackendHealth(boolean up, @Nullable Instant lastCheck, @Nullable String lastError,
		@Nullable Instant upSince) {

	static final BackendHealth INITIAL = new BackendHealth(true, null, null, null);

	public String state() {
		return this.up ? "UP" : "DOWN";
	}

}
