package dev.balancer.health;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;
import java.util.random.RandomGenerator;

import reactor.core.publisher.Flux;

import org.springframework.cloud.client.ServiceInstance;
import org.springframework.cloud.loadbalancer.core.DelegatingServiceInstanceListSupplier;
import org.springframework.cloud.loadbalancer.core.ServiceInstanceListSupplier;

/**
 * Slow start: a backend that came back up less than {@code window} ago is offered to the strategy for only
 * a share of the requests, growing linearly from none to all over the window. As a filter in front of the
 * strategy it works with every strategy; the strategy's choice among the rest is unchanged. While nothing
 * ramps up, the list passes through untouched.
 */
public class SlowStartInstanceListSupplier extends DelegatingServiceInstanceListSupplier {

	private final BackendHealthRegistry registry;

	private final Duration window;

	private final Clock clock;

	private final Supplier<? extends RandomGenerator> random;

	public SlowStartInstanceListSupplier(ServiceInstanceListSupplier delegate, BackendHealthRegistry registry,
			Duration window, Clock clock, Supplier<? extends RandomGenerator> random) {
		super(delegate);
		this.registry = registry;
		this.window = window;
		this.clock = clock;
		this.random = random;
	}

	@Override
	public Flux<List<ServiceInstance>> get() {
		return getDelegate().get().map(this::admit);
	}

	List<ServiceInstance> admit(List<ServiceInstance> instances) {
		Instant now = this.clock.instant();
		List<ServiceInstance> admitted = null;
		for (int i = 0; i < instances.size(); i++) {
			ServiceInstance instance = instances.get(i);
			double share = share(instance, now);
			boolean admit = share >= 1 || this.random.get().nextDouble() < share;
			if (!admit && admitted == null) {
				admitted = new ArrayList<>(instances.subList(0, i));
			}
			else if (admit && admitted != null) {
				admitted.add(instance);
			}
		}
		if (admitted == null) {
			return instances;
		}
		return admitted.isEmpty() ? instances : admitted;
	}

	/** The share of traffic the backend gets now, from 0 just after it came back to 1 after the window. */
	double share(ServiceInstance instance, Instant now) {
		Instant upSince = this.registry.health(instance).upSince();
		if (upSince == null) {
			return 1;
		}
		Duration elapsed = Duration.between(upSince, now);
		return Math.min(1, (double) elapsed.toNanos() / this.window.toNanos());
	}

}
