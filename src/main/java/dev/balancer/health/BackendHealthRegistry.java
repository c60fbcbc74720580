package dev.balancer.health;

import java.time.Clock;
import java.time.Instant;
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
 * load balancer reads the healthy ones. A backend changes state only after enough probes in a row agree
 * (HAProxy's rise and fall), so a flapping backend does not flap in rotation; each change is logged once.
 */
public class BackendHealthRegistry {

	private static final Log logger = LogFactory.getLog(BackendHealthRegistry.class);

	private final List<ServiceInstance> backends;

	private final Map<String, AtomicReference<State>> states = new LinkedHashMap<>();

	private final Clock clock;

	private final int healthyThreshold;

	private final int unhealthyThreshold;

	private volatile List<ServiceInstance> healthy;

	public BackendHealthRegistry(List<ServiceInstance> backends, Clock clock) {
		this(backends, clock, 1, 1);
	}

	public BackendHealthRegistry(List<ServiceInstance> backends, Clock clock, int healthyThreshold,
			int unhealthyThreshold) {
		this.backends = List.copyOf(backends);
		this.clock = clock;
		this.healthyThreshold = healthyThreshold;
		this.unhealthyThreshold = unhealthyThreshold;
		for (ServiceInstance backend : this.backends) {
			this.states.put(backend.getInstanceId(), new AtomicReference<>(State.INITIAL));
		}
		this.healthy = this.backends;
	}

	/** All configured backends, in configuration order. */
	public List<ServiceInstance> backends() {
		return this.backends;
	}

	public BackendHealth health(ServiceInstance backend) {
		return state(backend).get().health();
	}

	public boolean isUp(ServiceInstance backend) {
		return health(backend).up();
	}

	/** The backends that are up now, in configuration order. */
	public List<ServiceInstance> healthy() {
		return this.healthy;
	}

	/**
	 * The given instances without those that are down. Returns the same list when all are up, and the kept
	 * snapshot when given the configured backends, so the usual cases allocate nothing.
	 */
	public List<ServiceInstance> healthyAmong(List<ServiceInstance> instances) {
		if (this.healthy.size() == this.backends.size()) {
			return instances; // every backend is up
		}
		if (areTheBackends(instances)) {
			return this.healthy;
		}
		return instances.stream().filter(this::isUp).toList();
	}

	private boolean areTheBackends(List<ServiceInstance> instances) {
		if (instances.size() != this.backends.size()) {
			return false;
		}
		for (int i = 0; i < instances.size(); i++) {
			if (instances.get(i) != this.backends.get(i)) {
				return false;
			}
		}
		return true;
	}

	/**
	 * Records the outcome of an active probe: after enough probes in a row agree, it takes a backend down or
	 * brings it back.
	 */
	public void recordProbe(ServiceInstance backend, ProbeResult result) {
		Instant now = this.clock.instant();
		update(backend, (current) -> {
			BackendHealth health = current.health();
			if (result.alive()) {
				int successes = current.successes() + 1;
				boolean up = health.up() || successes >= this.healthyThreshold;
				Instant upSince = (up && !health.up()) ? now : health.upSince();
				return new State(new BackendHealth(up, now, health.lastError(), upSince), successes, 0);
			}
			int failures = current.failures() + 1;
			boolean up = health.up() && failures < this.unhealthyThreshold;
			return new State(new BackendHealth(up, now, result.error(), health.upSince()), 0, failures);
		});
	}

	/**
	 * Takes a backend out of rotation at once after a request could not reach it; probes bring it back as
	 * after a failed probe.
	 */
	public void markDown(ServiceInstance backend, String error) {
		update(backend, (current) -> new State(new BackendHealth(false, current.health().lastCheck(), error,
				current.health().upSince()), 0, Math.max(current.failures(), this.unhealthyThreshold)));
	}

	private void update(ServiceInstance backend, UnaryOperator<State> change) {
		AtomicReference<State> state = state(backend);
		State previous;
		State next;
		do {
			previous = state.get();
			next = change.apply(previous);
		}
		while (!state.compareAndSet(previous, next));
		if (previous.health().up() != next.health().up()) {
			onTransition(backend, next.health());
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

	private AtomicReference<State> state(ServiceInstance backend) {
		AtomicReference<State> state = this.states.get(backend.getInstanceId());
		if (state == null) {
			throw new IllegalArgumentException("Not a configured backend: " + backend.getInstanceId());
		}
		return state;
	}

	/** A backend's health and the probes in a row that agree on it. */
	private record State(BackendHealth health, int successes, int failures) {

		static final State INITIAL = new State(BackendHealth.INITIAL, 0, 0);

	}

}
