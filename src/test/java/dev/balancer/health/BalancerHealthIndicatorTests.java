package dev.balancer.health;

import java.net.ConnectException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;

import dev.balancer.support.Instances;
import dev.balancer.support.MutableClock;

import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.Status;
import org.springframework.cloud.client.ServiceInstance;
import org.springframework.cloud.client.loadbalancer.CompletionContext;
import org.springframework.cloud.client.loadbalancer.DefaultResponse;

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
	void showsEjectionsWithTheirRemainingTimeAndThePanicState() {
		MutableClock clock = new MutableClock(Instant.parse("2026-11-24T12:00:00Z"));
		SimpleMeterRegistry meters = new SimpleMeterRegistry();
		OutlierDetector outliers = new OutlierDetector(List.of(this.one, this.two),
				new OutlierDetector.Settings(1, Duration.ofSeconds(30), Duration.ofMinutes(5), 50), clock, meters);
		PanicMode panic = new PanicMode(List.of(this.one, this.two), 100, false, meters);
		outliers.onComplete(new CompletionContext<>(CompletionContext.Status.FAILED, new ConnectException("refused"),
				Instances.request(), new DefaultResponse(this.two)));
		panic.apply(List.of(this.one));
		clock.advance(Duration.ofSeconds(10));

		Health health = new BalancerHealthIndicator(this.registry, outliers, panic).health();

		assertThat(health.getDetails()).containsEntry("panic", true);
		assertThat(health.getDetails().get("backends").toString()).contains("ejectedFor=20s");
	}

	@Test
	void showsBackendsNotYetCheckedAsUp() {
		assertThat(this.indicator.health().getStatus()).isEqualTo(Status.UP);
		assertThat(this.indicator.health().getDetails().get("backends").toString()).contains("lastCheck=never");
	}

}
