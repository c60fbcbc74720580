package dev.balancer.metrics;

import java.util.Locale;
import java.util.concurrent.atomic.LongAdder;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.MeterBinder;
import io.netty.util.internal.PlatformDependent;

/**
 * Netty's buffer memory: what is in use, its limit, and the times the balancer found none left. Netty keeps the
 * count its {@code OutOfDirectMemoryError} compares with the limit (the JVM's direct memory limit, which defaults
 * to the heap's size, or {@code -Dio.netty.maxDirectMemory}), but publishes it only through its internal
 * {@link PlatformDependent}; Micrometer's {@code jvm_buffer_memory_used_bytes} has no limit to compare with, and
 * on Java 25 misses what Netty allocates outside the JDK's buffers. Where the memory ran out shows nowhere else
 * as one number: the 503s of request bodies are among all 503s, a closed connection is in no status count, and a
 * spare receive buffer is invisible.
 * <p>
 * The counts are the process's, as Netty's memory is; each registry they are bound to reads the same ones.
 */
public final class BufferMemory implements MeterBinder {

	/** Where the balancer found no buffer memory left. */
	public enum Shortage {

		/** A receive on io_uring took a spare buffer from outside Netty's memory ({@code ReceiveBuffers}). */
		RECEIVE,

		/** A client's request body could not be read: the client got a 503 ({@code FailoverFilter}). */
		REQUEST_BODY,

		/** A response could not be sent: the client connection was closed ({@code Http1Exchanges}). */
		RESPONSE,

		/**
		 * A read or write on a connection outside a request's exchange: on epoll, the read of a next request, after
		 * which Netty closes the connection ({@code DroppedErrors}).
		 */
		CONNECTION;

		private final LongAdder count = new LongAdder();

		/** The value of the {@code where} tag. */
		public String tag() {
			return name().toLowerCase(Locale.ROOT);
		}

	}

	/** Counts a time the balancer found no buffer memory left. */
	public static void ranOut(Shortage where) {
		where.count.increment();
	}

	/** The times the balancer found no buffer memory left, there, since the process started. */
	public static long timesRanOut(Shortage where) {
		return where.count.sum();
	}

	@Override
	public void bindTo(MeterRegistry registry) {
		// Netty counts only where it enforces a limit (not with -Dio.netty.maxDirectMemory=0): -1 otherwise
		if (PlatformDependent.usedDirectMemory() >= 0) {
			Gauge.builder("balancer.buffer.memory.used", PlatformDependent::usedDirectMemory)
				.description("Netty's buffer memory in use")
				.baseUnit("bytes")
				.register(registry);
			Gauge.builder("balancer.buffer.memory.max", PlatformDependent::maxDirectMemory)
				.description("Netty's buffer memory limit: past it, allocations fail")
				.baseUnit("bytes")
				.register(registry);
		}
		for (Shortage where : Shortage.values()) {
			FunctionCounter.builder("balancer.buffer.memory.exhausted", where.count, LongAdder::sum)
				.description("Times the balancer found no buffer memory left")
				.tag("where", where.tag())
				.register(registry);
		}
	}

}
