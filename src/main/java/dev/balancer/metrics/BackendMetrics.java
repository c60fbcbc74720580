package dev.balancer.metrics;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicReferenceArray;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import org.jspecify.annotations.Nullable;

import dev.balancer.health.BackendHealthRegistry;
import dev.balancer.routing.AttemptOutcome;
import dev.balancer.routing.InFlightRequests;
import dev.balancer.routing.UpstreamFailure;

import org.springframework.cloud.client.ServiceInstance;
import org.springframework.http.HttpStatusCode;

/**
 * Per-backend meters: {@code balancer.backend.up} (1 or 0), {@code balancer.backend.requests.active} (requests
 * in flight) and {@code balancer.backend.requests}, one count per attempt sent to a backend, tagged with the
 * status it answered or, when it did not answer, with why not ({@link UpstreamFailure#tag()}).
 * <p>
 * Spring Cloud LoadBalancer's own {@code MicrometerStatsLoadBalancerLifecycle} tags every request with its URI,
 * which for a proxy means one time series per path a client invents; these meters stay bounded.
 */
public class BackendMetrics implements AttemptOutcome.Listener {

	static final String UP = "balancer.backend.up";

	static final String REQUESTS = "balancer.backend.requests";

	static final String ACTIVE = "balancer.backend.requests.active";

	private final MeterRegistry meters;

	private final Map<String, BackendCounters> counters = new ConcurrentHashMap<>();

	public BackendMetrics(BackendHealthRegistry health, InFlightRequests inFlight, MeterRegistry meters) {
		this.meters = meters;
		for (ServiceInstance backend : health.backends()) {
			Gauge.builder(UP, health, (registry) -> registry.isUp(backend) ? 1 : 0)
				.description("Whether the backend is in rotation (1) or not (0)")
				.tag("backend", backend.getInstanceId())
				.register(meters);
			Gauge.builder(ACTIVE, inFlight, (requests) -> requests.count(backend))
				.description("Requests in flight to the backend")
				.tag("backend", backend.getInstanceId())
				.register(meters);
			this.counters.put(backend.getInstanceId(), new BackendCounters(backend.getInstanceId()));
		}
	}

	@Override
	public void onOutcome(AttemptOutcome outcome) {
		BackendCounters backend = this.counters.get(outcome.backend().getInstanceId());
		if (backend == null) {
			return;
		}
		if (outcome.failure() != null) {
			backend.failure(outcome.failure()).increment();
		}
		else {
			backend.status(outcome.status()).increment();
		}
	}

	/** The counters of one backend, created on first use and then found without allocating. */
	private final class BackendCounters {

		private final String backend;

		private final AtomicReferenceArray<Counter> byStatus = new AtomicReferenceArray<>(600);

		private final Map<UpstreamFailure, Counter> byFailure = new ConcurrentHashMap<>();

		BackendCounters(String backend) {
			this.backend = backend;
		}

		Counter status(@Nullable HttpStatusCode status) {
			int code = (status != null) ? status.value() : 0;
			if (code < 100 || code >= 600) {
				return counter("unknown");
			}
			Counter counter = this.byStatus.get(code);
			if (counter == null) {
				counter = counter(Integer.toString(code));
				this.byStatus.set(code, counter);
			}
			return counter;
		}

		Counter failure(UpstreamFailure failure) {
			return this.byFailure.computeIfAbsent(failure, (kind) -> counter(kind.tag()));
		}

		private Counter counter(String status) {
			return Counter.builder(REQUESTS)
				.description("Attempts sent to the backend, by the status it answered")
				.tag("backend", this.backend)
				.tag("status", status)
				.register(BackendMetrics.this.meters);
		}

	}

}
