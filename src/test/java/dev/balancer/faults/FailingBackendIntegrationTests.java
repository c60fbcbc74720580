package dev.balancer.faults;

import java.time.Duration;
import java.util.List;

import io.micrometer.core.instrument.MeterRegistry;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

import dev.balancer.health.OutlierDetector;
import dev.balancer.support.BalancerTestProperties;
import dev.balancer.support.Instances;
import dev.balancer.support.Load;
import dev.balancer.support.TestBackend;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.context.SpringBootTest.WebEnvironment;
import org.springframework.boot.test.web.server.LocalManagementPort;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.annotation.DirtiesContext;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import org.springframework.test.web.reactive.server.WebTestClient;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A backend that answers 503 to real requests while its health endpoint says all is well: ejected after 5
 * failures in a row, it gets no more requests; clients see only 200s (each 503 retried elsewhere); the
 * health component shows how long the ejection lasts.
 */
@SpringBootTest(webEnvironment = WebEnvironment.RANDOM_PORT,
		properties = { "balancer.health-check.interval=1h", "balancer.retry.backoff.base=0ms" })
@DirtiesContext // stops its health checker and frees its ports; no other test class shares this context
class FailingBackendIntegrationTests {

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

	@LocalManagementPort
	int managementPort;

	@Autowired
	OutlierDetector outliers;

	@Autowired
	MeterRegistry meters;

	@Test
	void aBackendThatKeepsFailingIsEjectedAndClientsNeverSeeItsErrors() {
		TestBackend failing = backends.get(0).status(503);

		List<Load.Result> results = Load.get("http://localhost:" + this.port, "/work", 60, 1, Duration.ofSeconds(30));

		assertThat(results).allMatch(Load.Result::ok);
		assertThat(failing.requestCount()).as("requests before the ejection").isEqualTo(5);
		assertThat(this.outliers.isEjected(Instances.backend(backends.get(0).port()))).isTrue();
		assertThat(this.meters.get("balancer.outlier.ejected").gauge().value()).isEqualTo(1);
		WebTestClient.bindToServer().baseUrl("http://localhost:" + this.managementPort).build()
			.get().uri("/actuator/health").exchange().expectBody()
			.jsonPath("$.components.balancer.details.backends['" + backends.get(0).url() + "'].ejectedFor")
			.value((String left) -> assertThat(left).matches("(30|2\\d)s"));
	}

}
