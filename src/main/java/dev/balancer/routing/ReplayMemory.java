package dev.balancer.routing;

import java.util.concurrent.atomic.AtomicLong;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;

/**
 * The memory all the copies of request bodies kept for retries may take together ({@link ReplayableBody}),
 * {@code balancer.retry.body-buffer-total}. {@code body-buffer-size} bounds each copy, but not how many requests
 * keep one at once: 3,000 uploads of 200 KB to backends slow to answer held 600 MB of copies, the heap ran out,
 * and the balancer stopped. A body that would take the total over the limit is sent on without a copy, and can be
 * sent to another backend only if no attempt has read any of it, as a body larger than {@code body-buffer-size}.
 * Neither Spring Cloud Gateway nor Reactor Netty bounds the memory of in-flight bodies.
 */
public final class ReplayMemory {

	private final long limit;

	private final AtomicLong held = new AtomicLong();

	public ReplayMemory(long limit) {
		this.limit = limit;
	}

	/** Publishes the bytes held now as {@code balancer.retry.body.buffered} (bytes). */
	public ReplayMemory registerWith(MeterRegistry meters) {
		Gauge.builder("balancer.retry.body.buffered", this.held, AtomicLong::get)
			.description("Bytes of request bodies kept to be sent again on a retry, at most "
					+ "balancer.retry.body-buffer-total")
			.baseUnit("bytes")
			.register(meters);
		return this;
	}

	/** Takes {@code bytes} for a copy; {@code false}, and nothing taken, when they would exceed the limit. */
	boolean take(long bytes) {
		if (this.held.addAndGet(bytes) <= this.limit) {
			return true;
		}
		this.held.addAndGet(-bytes);
		return false;
	}

	/** Gives back bytes taken for copies that are gone. */
	void give(long bytes) {
		this.held.addAndGet(-bytes);
	}

	/** The bytes taken now. */
	long held() {
		return this.held.get();
	}

}
