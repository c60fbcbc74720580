package dev.balancer.health;

import java.util.LinkedHashMap;
import java.util.Map;

import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.cloud.client.ServiceInstance;

/**
 * The {@code balancer} health component: each backend with its state, last check and last error; UP while at
 * least one backend is healthy, DOWN when none is.
 */
public class BalancerHealthIndicator implements HealthIndicator {

	private final BackendHealthRegistry registry;

	public BalancerHealthIndicator(BackendHealthRegistry registry) {
		this.registry = registry;
	}

	@Override
	public Health health() {
		Map<String, Map<String, Object>> backends = new LinkedHashMap<>();
		for (ServiceInstance backend : this.registry.backends()) {
			BackendHealth health = this.registry.health(backend);
			Map<String, Object> details = new LinkedHashMap<>();
			details.put("state", health.state());
			details.put("lastCheck", (health.lastCheck() != null) ? health.lastCheck().toString() : "never");
			details.put("lastError", (health.lastError() != null) ? health.lastError() : "none");
			backends.put(backend.getInstanceId(), details);
		}
		int healthy = this.registry.healthy().size();
		Health.Builder builder = (healthy > 0) ? Health.up() : Health.down();
		return builder.withDetail("healthy", healthy + "/" + backends.size()).withDetail("backends", backends).build();
	}

}
