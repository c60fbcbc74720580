package dev.balancer.faults;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

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
 * Backends that die or slow down while clients keep sending GETs.
 * <ul>
 * <li>Killed mid-load: 600 GETs, 16 at a time, one of three backends stopped after 200 of them: 0 errors.</li>
 * <li>Slow but within the response timeout: every answer 200, 0 retries, 0 ejections.</li>
 * </ul>
 */
@SpringBootTest(webEnvironment = WebEnvironment.RANDOM_PORT,
		properties = { "balancer.health-check.interval=1h", "balancer.timeouts.response=2s" })
@DirtiesContext // stops its health checker and frees its ports; no other test class shares this context
class BackendKilledUnderLoadIntegrationTests {

	static final List<TestBackend> backends = List.of(TestBackend.start("one"), TestBackend.start("two"),
			TestBackend.start("three"));

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
	void aBackendKilledMidLoadCostsIdempotentRequestsNothing() {
		TestBackend victim = backends.get(1);
		AtomicInteger done = new AtomicInteger();

		List<Load.Result> results = Load.get("http://localhost:" + this.port, "/killed", 600, 16,
				Duration.ofSeconds(60), (i) -> {
					if (done.incrementAndGet() == 200) {
						victim.stop();
					}
				});

		assertThat(results).hasSize(600);
		assertThat(results).as("600 GETs, backend killed after 200: every one answered 200").allMatch(Load.Result::ok);
		assertThat(victim.isRunning()).isFalse();
		assertThat(victim.requestCount()).isBetween(30, 300);
	}

	@Test
	void aSlowBackendWithinTheTimeoutIsNeitherRetriedNorEjected() {
		TestBackend slow = backends.get(2);
		if (!backends.get(1).isRunning()) {
			backends.get(1).restart();
		}
		slow.delay(Duration.ofMillis(300));
		double retriesBefore = count("balancer.retries");
		// The backend the other test kills may still be ejected for it: what counts is what this load ejects.
		double ejectionsBefore = count("balancer.outlier.ejections");
		try {
			List<Load.Result> results = Load.get("http://localhost:" + this.port, "/slow", 60, 6,
					Duration.ofSeconds(30));

			assertThat(results).allMatch(Load.Result::ok);
			assertThat(count("balancer.retries")).as("retries").isEqualTo(retriesBefore);
			assertThat(count("balancer.outlier.ejections")).as("ejections").isEqualTo(ejectionsBefore);
			assertThat(results.stream().filter((result) -> result.body().equals("three"))).isNotEmpty();
		}
		finally {
			slow.delay(Duration.ZERO);
		}
	}

	private double count(String name) {
		return this.meters.find(name).counters().stream().mapToDouble((counter) -> counter.count()).sum();
	}

}
