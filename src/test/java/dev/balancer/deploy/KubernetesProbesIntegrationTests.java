package dev.balancer.deploy;

import java.util.List;

import io.kubernetes.client.openapi.models.V1Container;
import io.kubernetes.client.openapi.models.V1Deployment;
import io.kubernetes.client.openapi.models.V1Probe;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

import dev.balancer.support.BalancerTestProperties;
import dev.balancer.support.TestBackend;

import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.context.SpringBootTest.WebEnvironment;
import org.springframework.boot.test.web.server.LocalManagementPort;
import org.springframework.test.annotation.DirtiesContext;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import org.springframework.test.web.reactive.server.WebTestClient;

import static org.assertj.core.api.Assertions.assertThat;

/** Every path the Deployment probes or scrapes is one the running application serves on its management port. */
@SpringBootTest(webEnvironment = WebEnvironment.RANDOM_PORT, properties = "balancer.health-check.interval=1h")
@DirtiesContext // stops its health checker and frees its ports; no other test class shares this context
class KubernetesProbesIntegrationTests {

	static final TestBackend backend = TestBackend.start("one");

	@DynamicPropertySource
	static void balancer(DynamicPropertyRegistry registry) {
		BalancerTestProperties.register(registry, List.of(backend));
	}

	@AfterAll
	static void stop() {
		backend.stop();
	}

	@LocalManagementPort
	int managementPort;

	@Test
	void probedAndScrapedPathsAnswer200OnTheManagementPort() {
		V1Deployment deployment = Deployables.only("deployment.yaml", V1Deployment.class);
		V1Container container = deployment.getSpec().getTemplate().getSpec().getContainers().get(0);
		WebTestClient management = WebTestClient.bindToServer().baseUrl("http://localhost:" + this.managementPort).build();

		for (V1Probe probe : List.of(container.getStartupProbe(), container.getLivenessProbe(),
				container.getReadinessProbe())) {
			management.get().uri(probe.getHttpGet().getPath()).exchange().expectStatus().isOk();
		}
		String scraped = deployment.getSpec().getTemplate().getMetadata().getAnnotations().get("prometheus.io/path");
		management.get().uri(scraped).exchange().expectStatus().isOk().expectBody(String.class)
			.value((body) -> assertThat(body).contains("balancer_backend_up"));
	}

}
