package dev.balancer.faults;

import java.util.List;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

import dev.balancer.health.OutlierDetector;
import dev.balancer.support.BalancerTestProperties;
import dev.balancer.support.Instances;
import dev.balancer.support.TestBackend;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.context.SpringBootTest.WebEnvironment;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.annotation.DirtiesContext;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import org.springframework.test.web.reactive.server.WebTestClient;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The only backend of a service, answering 503 to real requests while its health endpoint is fine, as a service
 * with one failing path does: its answers reach the clients as it sent them, each request sent to it once (there
 * is no other backend to retry a 503 on), and outlier detection leaves it in. It got each request three times, was
 * ejected after five, and the balancer then answered every request with its own 503 for 30 s, the backend fine
 * again or not, while its health said UP.
 */
@SpringBootTest(webEnvironment = WebEnvironment.RANDOM_PORT, properties = "balancer.retry.backoff.base=0ms")
@DirtiesContext // stops its health checker and frees its ports; no other test class shares this context
class OnlyBackendIntegrationTests {

	static final TestBackend backend = TestBackend.start("only");

	@DynamicPropertySource
	static void balancer(DynamicPropertyRegistry registry) {
		BalancerTestProperties.register(registry, List.of(backend));
	}

	@AfterAll
	static void stop() {
		backend.stop();
	}

	@LocalServerPort
	int port;

	@Autowired
	OutlierDetector outliers;

	@Test
	void theOnlyBackendIsNeverEjectedAndItsOwnAnswersReachTheClients() {
		WebTestClient client = WebTestClient.bindToServer().baseUrl("http://localhost:" + this.port).build();
		backend.status(503);
		for (int i = 0; i < 10; i++) {
			client.get().uri("/work").exchange().expectStatus().isEqualTo(503).expectBody(String.class).isEqualTo("only");
		}
		assertThat(this.outliers.isEjected(Instances.backend(backend.port()))).isFalse();
		assertThat(backend.requestCount()).as("each request once: no other backend to retry a 503 on").isEqualTo(10);

		backend.status(200);

		client.get().uri("/work").exchange().expectStatus().isOk().expectBody(String.class).isEqualTo("only");
	}

}
