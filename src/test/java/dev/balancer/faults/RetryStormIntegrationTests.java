package dev.balancer.faults;

import java.time.Duration;
import java.util.List;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

import dev.balancer.support.BalancerTestProperties;
import dev.balancer.support.Load;
import dev.balancer.support.TestBackend;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.context.SpringBootTest.WebEnvironment;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.annotation.DirtiesContext;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Every backend answers 503: 300 GETs would make 600 retries with 3 attempts each. The retry budget (20% of
 * the requests plus 3 per second, over 10 s) allows at most 90; the rest are counted as budget-exhausted, and
 * outlier detection ejects at most half of the three backends.
 */
@SpringBootTest(webEnvironment = WebEnvironment.RANDOM_PORT,
		properties = { "balancer.health-check.interval=1h", "balancer.retry.backoff.base=0ms" })
@DirtiesContext // stops its health checker and frees its ports; no other test class shares this context
class RetryStormIntegrationTests {

	static final List<TestBackend> backends = List.of(TestBackend.start("one").status(503),
			TestBackend.start("two").status(503), TestBackend.start("three").status(503));

	@DynamicPropertySource
	static void balancer(DynamicPropertyRegistry registry) {
		BalancerTestProperties.register(registry, backends);
	}

	@AfterAll
	static void stop() {
		backends.forEach(TestBackend::stop);
	}

	@LocalServerPort
	int port;

	@Autowired
	MeterRegistry meters;

	@Test
	void theRetryBudgetCapsRetriesWhenEveryBackendFails() {
		List<Load.Result> results = Load.get("http://localhost:" + this.port, "/storm", 300, 8, Duration.ofSeconds(60));

		assertThat(results).hasSize(300).allMatch((result) -> result.status() == 503);
		assertThat(count("balancer.retries")).as("retries for 300 failing requests, budget 20% + 3/s over 10 s")
			.isPositive()
			.isLessThanOrEqualTo(90);
		assertThat(count("balancer.retries.budget.exhausted")).isPositive();
		assertThat(backends.stream().mapToInt(TestBackend::requestCount).sum())
			.as("requests the backends got: one per client request plus the retries")
			.isEqualTo(300 + (int) count("balancer.retries"));
		assertThat(this.meters.get("balancer.outlier.ejected").gauge().value()).isLessThanOrEqualTo(1);
	}

	private double count(String name) {
		return this.meters.find(name).counters().stream().mapToDouble(Counter::count).sum();
	}

}
