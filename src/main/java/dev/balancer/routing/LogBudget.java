package dev.balancer.routing;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;

import org.apache.commons.logging.Log;

/**
 * At most {@value #LINES_PER_SECOND} log lines a second from one place that logs single requests (a request a
 * backend failed, a request that is not valid HTTP), and, in the next line logged after some were left out, how
 * many.
 * <p>
 * In a storm of failures, or under a flood of bad requests from a scanner, one line per request wrote thousands
 * of lines a second: the log's CPU and disk went to lines that said the same, just when the log should be
 * readable. The metrics ({@code balancer.backend.requests}, {@code balancer.timeouts}) and the access log still
 * count every request. Commons Logging, which the balancer logs through, has no such limit, hence this one.
 * <p>
 * The JVM system property {@value #LINES_PER_SECOND_PROPERTY} sets another number of lines a second. It is read
 * once; the build's tests raise it, so that a test checking a line does not depend on how many lines the tests
 * before it logged from the same place within the same second.
 */
public final class LogBudget {

	/** Lines a second from one place, unless {@value #LINES_PER_SECOND_PROPERTY} says otherwise. */
	public static final int LINES_PER_SECOND = 10;

	/** The JVM system property for another number of lines a second. */
	public static final String LINES_PER_SECOND_PROPERTY = "balancer.log-budget.lines-per-second";

	private static final long SECOND = TimeUnit.SECONDS.toNanos(1);

	private final LongSupplier nanoClock;

	private final int linesPerSecond;

	private final AtomicLong secondStart;

	private final AtomicInteger linesThisSecond = new AtomicInteger();

	private final AtomicLong leftOut = new AtomicLong();

	public LogBudget() {
		this(System::nanoTime, Integer.getInteger(LINES_PER_SECOND_PROPERTY, LINES_PER_SECOND));
	}

	LogBudget(LongSupplier nanoClock, int linesPerSecond) {
		if (linesPerSecond < 1) {
			throw new IllegalArgumentException(
					LINES_PER_SECOND_PROPERTY + " must be at least 1, was " + linesPerSecond);
		}
		this.nanoClock = nanoClock;
		this.linesPerSecond = linesPerSecond;
		this.secondStart = new AtomicLong(nanoClock.getAsLong());
	}

	/** Logs the line at INFO, unless this second's lines are spent. */
	public void info(Log logger, String line) {
		if (logger.isInfoEnabled() && take()) {
			logger.info(noted(line));
		}
	}

	/** Logs the line at WARN, unless this second's lines are spent. */
	public void warn(Log logger, String line) {
		if (logger.isWarnEnabled() && take()) {
			logger.warn(noted(line));
		}
	}

	/** Whether a line may be logged now; counted as left out when not. */
	boolean take() {
		long now = this.nanoClock.getAsLong();
		long start = this.secondStart.get();
		if (now - start >= SECOND && this.secondStart.compareAndSet(start, now)) {
			this.linesThisSecond.set(0);
		}
		if (this.linesThisSecond.incrementAndGet() <= this.linesPerSecond) {
			return true;
		}
		this.leftOut.incrementAndGet();
		return false;
	}

	/** The line, with the number of lines left out since the last one logged, if any were. */
	String noted(String line) {
		long skipped = this.leftOut.getAndSet(0);
		return (skipped == 0) ? line
				: line + " [" + skipped + " more like it not logged before this one: at most " + this.linesPerSecond
						+ " a second are]";
	}

}
