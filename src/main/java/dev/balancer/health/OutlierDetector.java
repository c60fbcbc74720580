package dev.balancer.health;

import java.time.Clock;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.jspecify.annotations.Nullable;

import dev.balancer.routing.AttemptOutcome;
import dev.balancer.routing.Stopping;

import org.springframework.cloud.client.ServiceInstance;

/**
 * Passive health, after Envoy's outlier detection ({@code consecutive_5xx}): a backend whose live requests fail
 * {@code consecutiveErrors} times in a row (connect failure, reset, timeout, invalid response or a 5xx answer) is
 * ejected for the base ejection time multiplied by how often it was ejected recently, up to the maximum. Ejection
 * is separate from the health checks: a backend whose health endpoint is fine but whose real requests fail is
 * still taken out. At most {@code maxEjectionPercent} of the backends are ejected at once (at least one), and
 * never the last backend available (up and not ejected): outlier detection never empties the pool by itself, where
 * the only backend of a service, a 503 from one of its paths five times, was ejected, and every request answered
 * 503 by the balancer for 30 s while the backend and its health checks were fine (nginx never takes out the only
 * server of an upstream; Envoy's panic routing sends on to ejected hosts). A backend ejected while others were
 * available, whose others the health checks then take down, serves again ({@link #available}).
 */
public class OutlierDetector implements AttemptOutcome.Listener {

	private static final Log logger = LogFactory.getLog(OutlierDetector.class);

	private final Settings settings;

	/** Whether the event loops are stopping ({@link Stopping}). */
	private final Stopping stopping;

	private final Clock clock;

	private final Map<String, Tracker> trackers = new HashMap<>();

	private final List<ServiceInstance> backends;

	/** Whether a backend is up by its health checks. */
	private final Predicate<ServiceInstance> up;

	private final int maxEjected;

	/** {@code balancer.outlier.ejections}, by {@code backend}. */
	private final Meter.MeterProvider<Counter> ejections;

	/** When the last ejection that was granted ends: before it, some backend may be ejected. */
	private volatile long lastEjectionEnds;

	/** When the first ejection whose end is not logged yet ends. */
	private volatile long nextEndToLog = Long.MAX_VALUE;

	public OutlierDetector(List<ServiceInstance> backends, Settings settings, Clock clock, MeterRegistry meters) {
		this(backends, (backend) -> true, settings, clock, meters, new Stopping());
	}

	/**
	 * A detector for the backends, which tells ejections apart from their health checks' state.
	 *
	 * @param up whether a backend is up by its health checks
	 */
	public OutlierDetector(List<ServiceInstance> backends, Predicate<ServiceInstance> up, Settings settings,
			Clock clock, MeterRegistry meters, Stopping stopping) {
		this.backends = List.copyOf(backends);
		this.up = up;
		this.stopping = stopping;
		this.settings = settings;
		this.clock = clock;
		this.ejections = Counter.builder("balancer.outlier.ejections")
			.description("Ejections by outlier detection")
			.withRegistry(meters);
		for (ServiceInstance backend : backends) {
			this.trackers.put(backend.getInstanceId(), new Tracker());
			// at 0 from the start, so that queries over it find a count before the first ejection
			this.ejections.withTag("backend", backend.getInstanceId());
		}
		this.maxEjected = (settings.maxEjectionPercent() == 0) ? 0
				: Math.max(1, backends.size() * settings.maxEjectionPercent() / 100);
		Gauge.builder("balancer.outlier.ejected", this, OutlierDetector::ejectedCount)
			.description("Backends ejected by outlier detection now")
			.register(meters);
	}

	/**
	 * Outlier detection settings.
	 *
	 * @param consecutiveErrors failures in a row that eject a backend
	 * @param baseEjectionTime ejection time the first time
	 * @param maxEjectionTime the longest an ejection lasts
	 * @param maxEjectionPercent share of backends that may be ejected at once
	 */
	public record Settings(int consecutiveErrors, Duration baseEjectionTime, Duration maxEjectionTime,
			int maxEjectionPercent) {
	}

	public boolean isEjected(ServiceInstance backend) {
		Tracker tracker = this.trackers.get(backend.getInstanceId());
		return tracker != null && this.clock.millis() < tracker.ejectedUntil;
	}

	/**
	 * The given instances without the ejected ones; all of them when every one is ejected: an ejection never
	 * empties the pool, also when the health checks took down the backends that were left. Returns the same list
	 * while no backend is ejected.
	 */
	public List<ServiceInstance> available(List<ServiceInstance> instances) {
		long now = this.clock.millis();
		if (now >= this.nextEndToLog) {
			logEnded(now);
		}
		if (now >= this.lastEjectionEnds) {
			return instances;
		}
		List<ServiceInstance> kept = instances.stream().filter((instance) -> !isEjected(instance)).toList();
		return kept.isEmpty() ? instances : kept;
	}

	/**
	 * Logs the ejections that have ended, as the first request (or scrape, {@link PanicMode}) after each finds it:
	 * an ejection's end is a change of state, as its start is, and no timer is kept for it.
	 */
	private synchronized void logEnded(long now) {
		long next = Long.MAX_VALUE;
		for (ServiceInstance backend : this.backends) {
			Tracker tracker = this.trackers.get(backend.getInstanceId());
			if (tracker.endLogged) {
				continue;
			}
			if (now >= tracker.ejectedUntil) {
				tracker.endLogged = true;
				logger.info("backend " + backend.getInstanceId() + " back in rotation: its ejection has ended");
			}
			else {
				next = Math.min(next, tracker.ejectedUntil);
			}
		}
		this.nextEndToLog = next;
	}

	/** How much longer the backend stays ejected, or {@code null} if it is not. */
	public @Nullable Duration ejectedFor(ServiceInstance backend) {
		Tracker tracker = this.trackers.get(backend.getInstanceId());
		long left = (tracker != null) ? tracker.ejectedUntil - this.clock.millis() : 0;
		return (left > 0) ? Duration.ofMillis(left) : null;
	}

	int ejectedCount() {
		long now = this.clock.millis();
		int ejected = 0;
		for (Tracker tracker : this.trackers.values()) {
			if (now < tracker.ejectedUntil) {
				ejected++;
			}
		}
		return ejected;
	}

	@Override
	public void onOutcome(AttemptOutcome outcome) {
		Tracker tracker = this.trackers.get(outcome.backend().getInstanceId());
		if (tracker == null) {
			return;
		}
		if (outcome.failure() != null) {
			// once the loops stop, they close the backend connections under the requests: not the backends' doing
			if (outcome.failure().isBackendsFault() && !this.stopping.isUnderWay()) {
				failed(outcome.backend(), tracker, outcome.error());
			}
		}
		else if (outcome.status() != null && outcome.status().is5xxServerError()) {
			failed(outcome.backend(), tracker, "status " + outcome.status().value());
		}
		else {
			// Reads alone while nothing changes, as on almost every answer: writes to the two counters, shared by
			// every event loop, would bounce their cache line between cores on each request.
			int before = tracker.consecutiveErrors.get();
			if (before != 0) {
				tracker.consecutiveErrors.set(0);
			}
			if (tracker.countBeforeAnswer != before) {
				tracker.countBeforeAnswer = before;
			}
		}
	}

	/**
	 * A response of the backend that broke off after its head (a reset, a silence past the read timeout, a body Netty
	 * could not decode): a failure, counted on from where the count stood before that head reset it. A backend that
	 * broke off every response was never ejected, as each head counted as a good answer.
	 */
	public void responseBrokeOff(AttemptOutcome outcome) {
		Tracker tracker = this.trackers.get(outcome.backend().getInstanceId());
		if (tracker == null || this.stopping.isUnderWay()) {
			return;
		}
		int count = tracker.countBeforeAnswer + 1;
		tracker.consecutiveErrors.accumulateAndGet(count, Math::max);
		if (count >= this.settings.consecutiveErrors()) {
			eject(outcome.backend(), tracker, (outcome.error() != null) ? outcome.error() : "response broke off");
		}
	}

	private void failed(ServiceInstance backend, Tracker tracker, String error) {
		if (tracker.consecutiveErrors.incrementAndGet() >= this.settings.consecutiveErrors()) {
			eject(backend, tracker, error);
		}
	}

	private synchronized void eject(ServiceInstance backend, Tracker tracker, String error) {
		long now = this.clock.millis();
		if (now < tracker.ejectedUntil || tracker.consecutiveErrors.get() < this.settings.consecutiveErrors()) {
			return; // ejected meanwhile, by another request's failure
		}
		if (ejectedCount() >= this.maxEjected) {
			if (logger.isDebugEnabled()) {
				logger.debug("backend " + backend.getInstanceId() + " not ejected: " + this.maxEjected
						+ " backend(s) already are, the most balancer.outlier-detection.max-ejection-percent allows");
			}
			return;
		}
		if (!anotherAvailable(backend, now)) {
			if (logger.isDebugEnabled()) {
				logger.debug("backend " + backend.getInstanceId() + " not ejected: it is the last backend available");
			}
			return;
		}
		long base = this.settings.baseEjectionTime().toMillis();
		// Like Envoy, each ejection lasts longer than the last, and the count fades by one per base time
		// spent back in rotation.
		long faded = (tracker.ejectedUntil == 0) ? 0 : (now - tracker.ejectedUntil) / base;
		tracker.ejections = (int) Math.max(0, tracker.ejections - faded) + 1;
		long duration = Math.min(this.settings.maxEjectionTime().toMillis(), base * tracker.ejections);
		tracker.ejectedUntil = now + duration;
		tracker.consecutiveErrors.set(0);
		this.lastEjectionEnds = Math.max(this.lastEjectionEnds, tracker.ejectedUntil);
		tracker.endLogged = false;
		this.nextEndToLog = Math.min(this.nextEndToLog, tracker.ejectedUntil);
		this.ejections.withTag("backend", backend.getInstanceId()).increment();
		logger.warn("backend " + backend.getInstanceId() + " EJECTED for " + Duration.ofMillis(duration).toSeconds()
				+ "s after " + this.settings.consecutiveErrors() + " failed requests in a row, the last: " + error);
	}

	/** Whether a backend other than the given one is up and not ejected. */
	private boolean anotherAvailable(ServiceInstance backend, long now) {
		for (ServiceInstance other : this.backends) {
			if (!other.getInstanceId().equals(backend.getInstanceId()) && this.up.test(other)
					&& now >= this.trackers.get(other.getInstanceId()).ejectedUntil) {
				return true;
			}
		}
		return false;
	}

	/** One backend's failures in a row and ejections. */
	private static final class Tracker {

		private final AtomicInteger consecutiveErrors = new AtomicInteger();

		/**
		 * The failures in a row before the last good answer's head reset the count, for a body that then broke off
		 * ({@link #responseBrokeOff}).
		 */
		private volatile int countBeforeAnswer;

		/** How many times it was ejected, fading; guarded by the detector's lock. */
		private int ejections;

		private volatile long ejectedUntil;

		/** Whether the end of its last ejection is logged (or it never was ejected); guarded by the detector's lock. */
		private boolean endLogged = true;

	}

}
