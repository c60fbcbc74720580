package dev.balancer.routing;

import java.time.Duration;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class BackoffTests {

	final FailoverFilter.Settings settings = new FailoverFilter.Settings(3, 0, Duration.ofMillis(25),
			Duration.ofMillis(250), Duration.ofSeconds(60), false, false);

	@Test
	void pausesAreRandomUpToADoublingCeiling() {
		for (int retry = 1; retry <= 6; retry++) {
			long ceiling = Math.min(250, 25L << (retry - 1));
			long longest = 0;
			for (int i = 0; i < 2000; i++) {
				Duration pause = this.settings.backoff(retry);
				assertThat(pause).isBetween(Duration.ZERO, Duration.ofMillis(ceiling));
				longest = Math.max(longest, pause.toMillis());
			}
			assertThat(longest).as("full jitter reaches near the ceiling of retry %d", retry)
				.isGreaterThan(ceiling * 8 / 10);
		}
	}

	@Test
	void aZeroBaseMeansNoPause() {
		FailoverFilter.Settings none = new FailoverFilter.Settings(3, 0, Duration.ZERO, Duration.ofMillis(250),
				Duration.ofSeconds(60), false, false);

		assertThat(none.backoff(1)).isZero();
		assertThat(none.backoff(5)).isZero();
	}

}
