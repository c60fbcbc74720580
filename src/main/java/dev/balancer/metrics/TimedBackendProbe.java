package dev.balancer.metrics;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import io.micrometer.core.instrument.Clock;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import reactor.core.publisher.Mono;

import dev.balancer.health.BackendProbe;
import dev.balancer.health.ProbeResult;

import org.springframework.cloud.client.ServiceInstance;

/**
 * Times each health probe: {@code balancer.backend.probes}, per backend and result ({@code alive} or
 * {@code failed}). The state changes alone hide two things an operator wants to see: probes that fail without
 * taking a backend down (below {@code balancer.health-check.unhealthy-threshold}), and probes that pass but come
 * close to {@code balancer.health-check.timeout}. Both timers of each backend exist from the start, so that a
 * query over the failed ones finds a series at 0 rather than none.
 */
public final class TimedBackendProbe implements BackendProbe {

	static final String PROBES = "balancer.backend.probes";

	private final BackendProbe probe;

	private final Clock clock;

	private final Map<String, Timer> alive = new HashMap<>();

	private final Map<String, Timer> failed = new HashMap<>();

	public TimedBackendProbe(BackendProbe probe, List<ServiceInstance> backends, MeterRegistry meters) {
		this.probe = probe;
		this.clock = meters.config().clock();
		for (ServiceInstance backend : backends) {
			this.alive.put(backend.getInstanceId(), timer(backend, "alive", meters));
			this.failed.put(backend.getInstanceId(), timer(backend, "failed", meters));
		}
	}

	private static Timer timer(ServiceInstance backend, String result, MeterRegistry meters) {
		return Timer.builder(PROBES)
			.description("Health probes of the backend and their time, by result")
			.tag("backend", backend.getInstanceId())
			.tag("result", result)
			.register(meters);
	}

	@Override
	public Mono<ProbeResult> probe(ServiceInstance backend) {
		return Mono.defer(() -> {
			long start = this.clock.monotonicTime();
			return this.probe.probe(backend).doOnNext((result) -> {
				Timer timer = (result.alive() ? this.alive : this.failed).get(backend.getInstanceId());
				if (timer != null) {
					timer.record(this.clock.monotonicTime() - start, TimeUnit.NANOSECONDS);
				}
			});
		});
	}

}
