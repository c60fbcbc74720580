package dev.balancer.health;

import java.util.List;
import java.util.function.Supplier;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.jspecify.annotations.Nullable;

import org.springframework.cloud.client.ServiceInstance;

/**
 * Panic: fewer than {@code threshold} percent of the backends are available (healthy and not ejected). Either
 * the balancer keeps to the available ones, answering 503 when there are none, or, with {@code spreadOverAll},
 * it sends traffic to every configured backend as Envoy does, on the grounds that checks failing everywhere at
 * once are more likely wrong than the backends, and the few left would drown. Entering and leaving panic is
 * logged once and shown in the {@code balancer.panic} gauge and the health component, which look at the available
 * backends as they are read: set by requests alone, they stayed as the last request had left them, no panic on a
 * service without traffic whose backends were all down, and panic long after they were back.
 */
public class PanicMode {

	private static final Log logger = LogFactory.getLog(PanicMode.class);

	private final List<ServiceInstance> all;

	private final int threshold;

	private final boolean spreadOverAll;

	/** The backends available now, as requests find them; {@code null} where only requests tell. */
	private final @Nullable Supplier<List<ServiceInstance>> available;

	private volatile boolean panicking;

	public PanicMode(List<ServiceInstance> all, int threshold, boolean spreadOverAll, MeterRegistry meters) {
		this(all, threshold, spreadOverAll, meters, null);
	}

	/**
	 * Panic over the backends, where the gauge and {@link #isPanicking()} look at the backends available as they
	 * are read.
	 *
	 * @param available the backends available now (healthy and not ejected)
	 */
	public PanicMode(List<ServiceInstance> all, int threshold, boolean spreadOverAll, MeterRegistry meters,
			@Nullable Supplier<List<ServiceInstance>> available) {
		this.all = List.copyOf(all);
		this.threshold = threshold;
		this.spreadOverAll = spreadOverAll;
		this.available = available;
		Gauge.builder("balancer.panic", this, (panic) -> panic.isPanicking() ? 1 : 0)
			.description("Whether fewer backends are available than balancer.panic.threshold (1) or not (0)")
			.register(meters);
	}

	/** Whether the balancer panics now; the change logged if it is one. */
	public boolean isPanicking() {
		if (this.available != null) {
			apply(this.available.get());
		}
		return this.panicking;
	}

	/** The backends to balance over now: {@link #apply} to those available now, all where those are not known. */
	public List<ServiceInstance> backendsNow() {
		return apply((this.available != null) ? this.available.get() : this.all);
	}

	/** The backends to balance over, given the available ones. */
	public List<ServiceInstance> apply(List<ServiceInstance> available) {
		boolean panic = available.size() * 100 < this.threshold * this.all.size();
		if (panic != this.panicking) {
			changed(panic, available.size());
		}
		return (panic && this.spreadOverAll) ? this.all : available;
	}

	private synchronized void changed(boolean panic, int available) {
		if (panic == this.panicking) {
			return;
		}
		this.panicking = panic;
		if (panic) {
			logger.warn("PANIC: " + available + " of " + this.all.size() + " backends available, below "
					+ this.threshold + "%: " + (this.spreadOverAll ? "spreading traffic over all backends"
							: (available > 0) ? "sending only to the available ones"
									: "answering 503 until one is available"));
		}
		else {
			logger.info("panic over: " + available + " of " + this.all.size() + " backends available");
		}
	}

}
