package dev.balancer.health;

import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.Status;
import org.springframework.cloud.client.ServiceInstance;

import static dev.balancer.support.Instances.backend;
import static org.assertj.core.api.Assertions.assertThat;

class BalancerHealthIndicatorTests {

	final ServiceInstance one = backend(1);

	final ServiceInstance two = backend(2);

	final BackendHealthRegistry registry = new BackendHealthRegistry(List.of(this.one, this.two),
			Clock.fixed(Instant.parse("2026-11-24T12:00:00Z"), ZoneOffset.UTC));

	final BalancerHealthIndicator indicator = new BalancerHealthIndicator(this.registry);

	@Test
	void listsEveryBackendWithStateLastCheckAndLastError() {
		this.registry.recordProbe(this.one, ProbeResult.healthy());
		this.registry.recordProbe(this.two, ProbeResult.failed("status 503"));

		Health health = this.indicator.health();

		assertThat(health.getStatus()).isEqualTo(Status.UP);
		assertThat(health.getDetails()).containsEntry("healthy", "1/2");
		assertThat(health.getDetails().get("backends")).isEqualTo(Map.of(
				"http://127.0.0.1:1", Map.of("state", "UP", "lastCheck", "2026-11-24T12:00:00Z", "lastError", "none"),
				"http://127.0.0.1:2",
				Map.of("state", "DOWN", "lastCheck", "2026-11-24T12:00:00Z", "lastError", "status 503")));
	}

	@Test
	void isDownWhenNoBackendIsHealthy() {
		this.registry.markDown(this.one, "connection refused");
		this.registry.markDown(this.two, "connection refused");

		Health health = this.indicator.health();

		assertThat(health.getStatus()).isEqualTo(Status.DOWN);
		assertThat(health.getDetails()).containsEntry("healthy", "0/2");
	}

	@Test
	void showsBackendsNotYetCheckedAsUp() {
		assertThat(this.indicator.health().getStatus()).isEqualTo(Status.UP);
		assertThat(this.indicator.health().getDetails().get("backends").toString()).contains("lastCheck=never");
	}

}
