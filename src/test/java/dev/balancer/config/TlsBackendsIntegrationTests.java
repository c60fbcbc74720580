package dev.balancer.config;

import java.time.Duration;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

import dev.balancer.health.BackendHealthRegistry;
import dev.balancer.support.TestBackend;
import dev.balancer.support.TlsBackend;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.context.SpringBootTest.WebEnvironment;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.annotation.DirtiesContext;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import org.springframework.web.reactive.function.client.WebClient;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * A backend served over TLS with a certificate of its own, trusted through the gateway's client settings
 * ({@code spring.cloud.gateway.server.webflux.httpclient.ssl.*}): the health probes trust it as the proxied
 * requests do, so the backend is healthy and serves.
 */
@SpringBootTest(webEnvironment = WebEnvironment.RANDOM_PORT)
@DirtiesContext
class TlsBackendsIntegrationTests {

	private static final Duration PATIENCE = Duration.ofSeconds(10);

	static final TlsBackend backend = TlsBackend.start();

	@DynamicPropertySource
	static void balancer(DynamicPropertyRegistry registry) {
		registry.add("balancer.backends[0].url", backend::url);
		registry.add("balancer.health-check.path", () -> TestBackend.HEALTH_PATH);
		registry.add("balancer.health-check.interval", () -> "200ms");
		registry.add("management.server.port", () -> "0");
		registry.add("spring.cloud.gateway.server.webflux.httpclient.ssl.trusted-x509-certificates",
				() -> "file:" + backend.certificate().getAbsolutePath());
	}

	@AfterAll
	static void stopBackend() {
		backend.close();
	}

	@LocalServerPort
	int port;

	@Autowired
	BackendHealthRegistry health;

	@Test
	void theProbesTrustTheBackendsCertificateLikeTheProxyDoes() {
		await().atMost(PATIENCE).untilAsserted(() -> assertThat(this.health.healthy()).hasSize(1));

		assertThat(this.health.health(this.health.backends().get(0)).lastError()).isNull();
	}

	@Test
	void aRequestReachesTheBackendOverTls() {
		await().atMost(PATIENCE).until(() -> !this.health.healthy().isEmpty());

		String body = WebClient.create("http://127.0.0.1:" + this.port)
			.get()
			.uri("/hello")
			.retrieve()
			.bodyToMono(String.class)
			.block(PATIENCE);

		assertThat(body).isEqualTo(TlsBackend.BODY);
	}

}
