package dev.balancer.config;

import java.time.Duration;

import io.netty.handler.ssl.util.SelfSignedCertificate;
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
 * A backend that requires a client certificate (mutual TLS), reached with a Spring Boot SSL bundle named in the
 * gateway's client settings ({@code spring.cloud.gateway.server.webflux.httpclient.ssl.ssl-bundle}): the probes
 * present the certificate and trust the backend as the proxied requests do.
 */
@SpringBootTest(webEnvironment = WebEnvironment.RANDOM_PORT)
@DirtiesContext
class MutualTlsBackendsIntegrationTests {

	private static final Duration PATIENCE = Duration.ofSeconds(10);

	static final SelfSignedCertificate balancerCertificate = TlsBackend.selfSigned();

	static final TlsBackend backend = TlsBackend.requiringClientCertificate(balancerCertificate.certificate());

	@DynamicPropertySource
	static void balancer(DynamicPropertyRegistry registry) {
		registry.add("balancer.backends[0].url", backend::url);
		registry.add("balancer.health-check.path", () -> TestBackend.HEALTH_PATH);
		registry.add("balancer.health-check.interval", () -> "200ms");
		registry.add("management.server.port", () -> "0");
		registry.add("spring.ssl.bundle.pem.backends.keystore.certificate",
				() -> "file:" + balancerCertificate.certificate().getAbsolutePath());
		registry.add("spring.ssl.bundle.pem.backends.keystore.private-key",
				() -> "file:" + balancerCertificate.privateKey().getAbsolutePath());
		registry.add("spring.ssl.bundle.pem.backends.truststore.certificate",
				() -> "file:" + backend.certificate().getAbsolutePath());
		registry.add("spring.cloud.gateway.server.webflux.httpclient.ssl.ssl-bundle", () -> "backends");
	}

	@AfterAll
	static void stopBackend() {
		backend.close();
		balancerCertificate.delete();
	}

	@LocalServerPort
	int port;

	@Autowired
	BackendHealthRegistry health;

	@Test
	void theProbesPresentTheClientCertificateAndTheBackendServes() {
		await().atMost(PATIENCE).untilAsserted(() -> assertThat(this.health.healthy()).hasSize(1));

		String body = WebClient.create("http://127.0.0.1:" + this.port)
			.get()
			.uri("/hello")
			.retrieve()
			.bodyToMono(String.class)
			.block(PATIENCE);

		assertThat(body).isEqualTo(TlsBackend.BODY);
	}

}
