package dev.balancer.config;

import io.netty.handler.ssl.util.SelfSignedCertificate;
import org.junit.jupiter.api.AfterAll;

import dev.balancer.support.BalancerTestProperties;
import dev.balancer.support.TlsBackend;

import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.context.SpringBootTest.WebEnvironment;
import org.springframework.test.annotation.DirtiesContext;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * A backend that requires a client certificate (mutual TLS), reached with a Spring Boot SSL bundle named in the
 * gateway's client settings ({@code spring.cloud.gateway.server.webflux.httpclient.ssl.ssl-bundle}): the probes
 * present the certificate and trust the backend as the proxied requests do.
 */
@SpringBootTest(webEnvironment = WebEnvironment.RANDOM_PORT)
@DirtiesContext
class MutualTlsBackendsIntegrationTests extends HttpsBackendChecks {

	static final SelfSignedCertificate balancerCertificate = TlsBackend.selfSigned();

	static final TlsBackend backend = TlsBackend.requiringClientCertificate(balancerCertificate.certificate());

	@DynamicPropertySource
	static void balancer(DynamicPropertyRegistry registry) {
		BalancerTestProperties.register(registry, backend);
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

}
