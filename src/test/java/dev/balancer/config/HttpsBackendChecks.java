package dev.balancer.config;

import java.time.Duration;

import org.junit.jupiter.api.Test;

import dev.balancer.health.BackendHealthRegistry;
import dev.balancer.support.TlsBackend;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.web.reactive.function.client.WebClient;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * What a balancer in front of one {@link TlsBackend} must do once its TLS settings fit the backend: the probes
 * get through, so the backend is healthy, and a request reaches it. Subclasses start the backend and configure
 * the balancer.
 */
abstract class HttpsBackendChecks {

	static final Duration PATIENCE = Duration.ofSeconds(10);

	@LocalServerPort
	int port;

	@Autowired
	BackendHealthRegistry health;

	@Test
	void theProbesGetThroughAsTheProxiedRequestsDo() {
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
