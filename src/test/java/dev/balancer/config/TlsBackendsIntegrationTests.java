package dev.balancer.config;

import org.junit.jupiter.api.AfterAll;

import dev.balancer.support.BalancerTestProperties;
import dev.balancer.support.TlsBackend;

import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.context.SpringBootTest.WebEnvironment;
import org.springframework.test.annotation.DirtiesContext;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * A backend served over TLS with a certificate of its own, trusted through the gateway's client settings
 * ({@code spring.cloud.gateway.server.webflux.httpclient.ssl.trusted-x509-certificates}): the health probes trust
 * it as the proxied requests do, so the backend is healthy and serves.
 */
@SpringBootTest(webEnvironment = WebEnvironment.RANDOM_PORT)
@DirtiesContext
class TlsBackendsIntegrationTests extends HttpsBackendChecks {

	static final TlsBackend backend = TlsBackend.start();

	@DynamicPropertySource
	static void balancer(DynamicPropertyRegistry registry) {
		BalancerTestProperties.register(registry, backend);
		registry.add("spring.cloud.gateway.server.webflux.httpclient.ssl.trusted-x509-certificates",
				() -> "file:" + backend.certificate().getAbsolutePath());
	}

	@AfterAll
	static void stopBackend() {
		backend.close();
	}

}
