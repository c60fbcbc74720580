package dev.balancer.health;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;

import org.jspecify.annotations.Nullable;

import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.cloud.client.ServiceInstance;

/**
 * The {@code balancer} health component: each backend with its state, last check and last error, and how much
 * longer it stays ejected if outlier detection ejected it; whether the balancer is in panic. UP while at least
 * one backend is healthy, DOWN when none is.
 */
public class BalancerHealthIndicator implements HealthIndicator {

	private final BackendHealthRegistry registry;

	private final @Nullable OutlierDetector outliers;

	private final @Nullable PanicMode panic;

	public BalancerHealthIndicator(BackendHealthRegistry registry) {
		this(registry, null, null);
	}

	public BalancerHealthIndicator(BackendHealthRegistry registry, @Nullable OutlierDetector outliers,
			@Nullable PanicMode panic) {
		this.registry = registry;
		this.outliers = outliers;
		this.panic = panic;
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
			Duration ejected = (this.outliers != null) ? this.outliers.ejectedFor(backend) : null;
			if (ejected != null) {
				details.put("ejectedFor", Math.max(1, ejected.toSeconds()) + "s");
			}
			backends.put(backend.getInstanceId(), details);
		}
		int healthy = this.registry.healthy().size();
		Health.Builder builder = (healthy > 0) ? Health.up() : Health.down();
		builder.withDetail("healthy", healthy + "/" + backends.size());
		if (this.panic != null) {
			builder.withDetail("panic", this.panic.isPanicking());
		}
		return builder.withDetail("backends", backends).build();
	}

}
