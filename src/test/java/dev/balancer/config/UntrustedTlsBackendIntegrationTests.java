package dev.balancer.config;

import java.time.Duration;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import dev.balancer.health.BackendHealthRegistry;
import dev.balancer.support.BalancerTestProperties;
import dev.balancer.support.TlsBackend;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.context.SpringBootTest.WebEnvironment;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.test.annotation.DirtiesContext;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * A backend whose certificate the balancer does not trust: it is down, and the log says why once, not with
 * Reactor Netty's two stack traces on every probe.
 */
@SpringBootTest(webEnvironment = WebEnvironment.RANDOM_PORT)
@DirtiesContext
@ExtendWith(OutputCaptureExtension.class)
class UntrustedTlsBackendIntegrationTests {

	static final TlsBackend backend = TlsBackend.start();

	@DynamicPropertySource
	static void balancer(DynamicPropertyRegistry registry) {
		BalancerTestProperties.register(registry, backend);
	}

	@AfterAll
	static void stopBackend() {
		backend.close();
	}

	@Test
	void aFailedHandshakeIsLoggedOnceAsTheBackendGoingDown(@Autowired BackendHealthRegistry health,
			CapturedOutput output) {
		int probedBefore = backend.connections();
		await().atMost(Duration.ofSeconds(10)).until(() -> backend.connections() >= probedBefore + 5);

		assertThat(health.healthy()).isEmpty();
		assertThat(health.health(health.backends().get(0)).lastError())
			.startsWith("TLS handshake failed: the backend's certificate is not trusted");
		assertThat(output.getAll().lines().filter((line) -> line.contains(" DOWN: TLS handshake failed")))
			.hasSize(1);
		assertThat(output.getAll()).doesNotContain("SSLHandshakeException").doesNotContain("observed an error");
	}

}
