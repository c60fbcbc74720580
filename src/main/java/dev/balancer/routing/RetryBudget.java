package dev.balancer.routing;

import java.time.Clock;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * Limits retries to a share of the traffic (Finagle's and Linkerd's retry budget): over a sliding window of
 * the last 10 seconds, retries may number at most {@code percent} of the requests plus
 * {@code minRetriesPerSecond} for each second of the window. When backends are sick, every request fails
 * and would be retried; the budget keeps the retries from multiplying the load on what is left.
 * <p>
 * The window is ten one-second buckets of counters, reused as time goes round; recording and checking
 * allocate nothing.
 */
public class RetryBudget {

	static final int WINDOW_SECONDS = 10;

	private final int percent;

	private final long minRetriesPerWindow;

	private final Clock clock;

	// Per bucket: the second it counts, its requests, its retries.
	private final AtomicLongArray seconds = new AtomicLongArray(WINDOW_SECONDS);

	private final AtomicLongArray requests = new AtomicLongArray(WINDOW_SECONDS);

	private final AtomicLongArray retries = new AtomicLongArray(WINDOW_SECONDS);

	public RetryBudget(int percent, int minRetriesPerSecond, Clock clock) {
		this.percent = percent;
		this.minRetriesPerWindow = (long) minRetriesPerSecond * WINDOW_SECONDS;
		this.clock = clock;
		for (int i = 0; i < WINDOW_SECONDS; i++) {
			this.seconds.set(i, Long.MIN_VALUE);
		}
	}

	/** Counts a request from a client (not a retry). */
	public void recordRequest() {
		this.requests.incrementAndGet(bucket(now()));
	}

	/**
	 * Takes one retry out of the budget if the budget allows it; {@code false} means: do not retry. Synchronized:
	 * the check and the count are one step, or event loops retrying at once could each take the last retry left (a
	 * storm of 300 failed requests got 91 retries of a budget of 90). Called only after a failure, never on the path
	 * of a request that succeeds.
	 */
	public synchronized boolean tryRetry() {
		long now = now();
		long requests = 0;
		long retries = 0;
		for (int i = 0; i < WINDOW_SECONDS; i++) {
			long second = this.seconds.get(i);
			if (second > now - WINDOW_SECONDS && second <= now) {
				requests += this.requests.get(i);
				retries += this.retries.get(i);
			}
		}
		if (retries * 100 >= requests * this.percent + this.minRetriesPerWindow * 100) {
			return false;
		}
		this.retries.incrementAndGet(bucket(now));
		return true;
	}

	private long now() {
		return this.clock.millis() / 1000;
	}

	/** The bucket of this second, cleared first if it still holds an older second. */
	private int bucket(long second) {
		int index = (int) Math.floorMod(second, (long) WINDOW_SECONDS);
		long held = this.seconds.get(index);
		if (held != second && this.seconds.compareAndSet(index, held, second)) {
			// A request or retry of the new second may slip in before the reset: a count of one, at most,
			// lost at the turn of a second, which a budget can afford.
			this.requests.set(index, 0);
			this.retries.set(index, 0);
		}
		return index;
	}

}
