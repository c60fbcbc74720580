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
 */
public final class LogBudget {

	/** Lines a second from one place. */
	public static final int LINES_PER_SECOND = 10;

	private static final long SECOND = TimeUnit.SECONDS.toNanos(1);

	private final LongSupplier nanoClock;

	private final AtomicLong secondStart;

	private final AtomicInteger linesThisSecond = new AtomicInteger();

	private final AtomicLong leftOut = new AtomicLong();

	public LogBudget() {
		this(System::nanoTime);
	}

	LogBudget(LongSupplier nanoClock) {
		this.nanoClock = nanoClock;
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
		if (this.linesThisSecond.incrementAndGet() <= LINES_PER_SECOND) {
			return true;
		}
		this.leftOut.incrementAndGet();
		return false;
	}

	/** The line, with the number of lines left out since the last one logged, if any were. */
	String noted(String line) {
		long skipped = this.leftOut.getAndSet(0);
		return (skipped == 0) ? line
				: line + " [" + skipped + " more like it not logged before this one: at most " + LINES_PER_SECOND
						+ " a second are]";
	}

}
