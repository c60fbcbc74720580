package dev.balancer.health;

import java.time.Clock;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.UnaryOperator;

import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;

import org.springframework.cloud.client.ServiceInstance;

/**
 * The health state of every configured backend. Active probes and failed requests report here; the
 * load balancer reads the healthy ones. Each change of state is logged once, not every probe.
 */
public class BackendHealthRegistry {

	private static final Log logger = LogFactory.getLog(BackendHealthRegistry.class);

	private final List<ServiceInstance> backends;

	private final Map<String, AtomicReference<BackendHealth>> states = new LinkedHashMap<>();

	private final Clock clock;

	private volatile List<ServiceInstance> healthy;

	public BackendHealthRegistry(List<ServiceInstance> backends, Clock clock) {
		this.backends = List.copyOf(backends);
		this.clock = clock;
		for (ServiceInstance backend : this.backends) {
			this.states.put(backend.getInstanceId(), new AtomicReference<>(BackendHealth.INITIAL));
		}
		this.healthy = this.backends;
	}

	/** All configured backends, in configuration order. */
	public List<ServiceInstance> backends() {
		return this.backends;
	}

	public BackendHealth health(ServiceInstance backend) {
		return state(backend).get();
	}

	public boolean isUp(ServiceInstance backend) {
		return health(backend).up();
	}

	/** The backends that are up now, in configuration order. */
	public List<ServiceInstance> healthy() {
		return this.healthy;
	}

	/**
	 * The given instances without those that are down. Returns the same list when all are up, so the
	 * common case allocates nothing.
	 */
	public List<ServiceInstance> healthyAmong(List<ServiceInstance> instances) {
		if (this.healthy.size() == this.backends.size()) {
			return instances; // every backend is up
		}
		for (int i = 0; i < instances.size(); i++) {
			if (!isUp(instances.get(i))) {
				return instances.stream().filter(this::isUp).toList();
			}
		}
		return instances;
	}

	/** Records the outcome of an active probe: it can take a backend down or bring it back. */
	public void recordProbe(ServiceInstance backend, ProbeResult result) {
		var now = this.clock.instant();
		update(backend, (current) -> {
			if (!result.alive()) {
				return new BackendHealth(false, now, result.error(), current.upSince());
			}
			return new BackendHealth(true, now, current.lastError(), current.up() ? current.upSince() : now);
		});
	}

	/**
	 * Takes a backend out of rotation at once after a request could not reach it; only the next successful
	 * probe brings it back.
	 */
	public void markDown(ServiceInstance backend, String error) {
		update(backend, (current) -> new BackendHealth(false, current.lastCheck(), error, current.upSince()));
	}

	private void update(ServiceInstance backend, UnaryOperator<BackendHealth> change) {
		AtomicReference<BackendHealth> state = state(backend);
		BackendHealth previous;
		BackendHealth next;
		do {
			previous = state.get();
			next = change.apply(previous);
		}
		while (!state.compareAndSet(previous, next));
		if (previous.up() != next.up()) {
			onTransition(backend, next);
		}
	}

	private synchronized void onTransition(ServiceInstance backend, BackendHealth health) {
		List<ServiceInstance> up = new ArrayList<>(this.backends.size());
		for (ServiceInstance candidate : this.backends) {
			if (isUp(candidate)) {
				up.add(candidate);
			}
		}
		this.healthy = List.copyOf(up);
		if (health.up()) {
			logger.info("backend " + backend.getInstanceId() + " UP");
		}
		else {
			logger.warn("backend " + backend.getInstanceId() + " DOWN: " + health.lastError());
		}
	}

	private AtomicReference<BackendHealth> state(ServiceInstance backend) {
		AtomicReference<BackendHealth> state = this.states.get(backend.getInstanceId());
		if (state == null) {
			throw new IllegalArgumentException("Not a configured backend: " + backend.getInstanceId());
		}
		return state;
	}

}
