package dev.balancer.routing;

import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.Test;

import dev.balancer.support.Concurrently;
import dev.balancer.support.MutableClock;

import static org.assertj.core.api.Assertions.assertThat;

class RetryBudgetTests {

	final MutableClock clock = new MutableClock(Instant.parse("2026-11-24T12:00:00Z"));

	@Test
	void retriesMayAddTheirShareOfTheRequests() {
		RetryBudget budget = new RetryBudget(20, 0, this.clock);
		requests(budget, 100);

		assertThat(retries(budget, 50)).isEqualTo(20);
	}

	@Test
	void aQuietServiceCanStillRetryUpToTheFloor() {
		RetryBudget budget = new RetryBudget(20, 3, this.clock);

		assertThat(retries(budget, 100)).as("3 per second over the 10 s window").isEqualTo(30);
	}

	@Test
	void requestsAndRetriesLeaveTheWindowAfterTenSeconds() {
		RetryBudget budget = new RetryBudget(20, 0, this.clock);
		requests(budget, 100);
		assertThat(retries(budget, 20)).isEqualTo(20);

		this.clock.advance(Duration.ofSeconds(5));
		assertThat(budget.tryRetry()).as("still spent").isFalse();
		requests(budget, 50);
		assertThat(retries(budget, 50)).as("20% of 150 requests, 20 retries already made").isEqualTo(10);

		this.clock.advance(Duration.ofSeconds(6)); // the first 100 requests and 20 retries leave the window
		assertThat(retries(budget, 50)).as("20% of the last 50 requests, 10 retries still in the window").isZero();
		this.clock.advance(Duration.ofSeconds(5)); // everything has left
		requests(budget, 10);
		assertThat(retries(budget, 50)).isEqualTo(2);
	}

	/**
	 * Event loops retrying at once took the last retry left twice: 91 retries of a budget of 90. The race is narrow,
	 * so the budget is spent by two threads at once many times over.
	 */
	@Test
	void retriesTakenAtOnceNeverExceedTheBudget() throws Exception {
		for (int round = 0; round < 500; round++) {
			RetryBudget budget = new RetryBudget(20, 3, this.clock);
			requests(budget, 300); // 60 + 30: 90 retries allowed
			AtomicInteger granted = new AtomicInteger();

			Concurrently.run(2, (thread) -> {
				for (int i = 0; i < 100; i++) {
					if (budget.tryRetry()) {
						granted.incrementAndGet();
					}
				}
			});

			assertThat(granted.get()).as("round %d", round).isEqualTo(90);
		}
	}

	@Test
	void aBudgetOfZeroAllowsNoRetry() {
		RetryBudget budget = new RetryBudget(0, 0, this.clock);
		requests(budget, 1000);

		assertThat(budget.tryRetry()).isFalse();
	}

	private static void requests(RetryBudget budget, int count) {
		for (int i = 0; i < count; i++) {
			budget.recordRequest();
		}
	}

	private static int retries(RetryBudget budget, int wanted) {
		int made = 0;
		for (int i = 0; i < wanted; i++) {
			made += budget.tryRetry() ? 1 : 0;
		}
		return made;
	}

}
