package dev.balancer.health;

import java.time.Duration;
import java.util.function.UnaryOperator;

import io.netty.handler.ssl.util.InsecureTrustManagerFactory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import reactor.netty.http.Http11SslContextSpec;
import reactor.netty.http.HttpResources;
import reactor.netty.http.client.HttpClient;
import reactor.netty.resources.LoopResources;
import reactor.test.StepVerifier;

import dev.balancer.support.TestBackend;
import dev.balancer.support.TlsBackend;

import org.springframework.cloud.client.DefaultServiceInstance;
import org.springframework.cloud.client.ServiceInstance;

import static org.assertj.core.api.Assertions.assertThat;

/** The probe against a real HTTP server: the seed's rule, alive when the status is below 500. */
class HttpBackendProbeTests {

	final TestBackend backend = TestBackend.start("probed");

	final HttpBackendProbe probe = new HttpBackendProbe(TestBackend.HEALTH_PATH, Duration.ofMillis(500));

	@AfterEach
	void stop() {
		this.backend.stop();
	}

	@ParameterizedTest
	@ValueSource(ints = { 200, 204, 301, 401, 404, 499 })
	void anyStatusBelow500MeansAlive(int status) {
		this.backend.healthStatus(status);

		assertThat(probe()).isEqualTo(ProbeResult.healthy());
		assertThat(this.backend.probeCount()).isEqualTo(1);
	}

	@ParameterizedTest
	@ValueSource(ints = { 500, 502, 503 })
	void statusesFrom500MeanDown(int status) {
		this.backend.healthStatus(status);

		assertThat(probe()).isEqualTo(ProbeResult.failed("status " + status));
	}

	@Test
	void expectedStatusesAndTheHostHeaderCanBeConfigured() {
		HttpBackendProbe strict = new HttpBackendProbe(TestBackend.HEALTH_PATH, Duration.ofMillis(500),
				StatusRange.parseAll("200-299"), "api.example:8080", HttpResources.get(), UnaryOperator.identity());
		this.backend.healthStatus(404);
		assertThat(probe(strict)).isEqualTo(ProbeResult.failed("status 404"));
		this.backend.healthStatus(204);
		assertThat(probe(strict)).isEqualTo(ProbeResult.healthy());
		assertThat(this.backend.lastProbeHost()).isEqualTo("api.example:8080");

		probe(this.probe);
		assertThat(this.backend.lastProbeHost()).isEqualTo("127.0.0.1:" + this.backend.port());
	}

	@Test
	void probesRunOnTheEventLoopsTheyAreGiven() {
		LoopResources loops = LoopResources.create("probe-loops", 1, true);
		try {
			HttpBackendProbe onLoops = new HttpBackendProbe(TestBackend.HEALTH_PATH, Duration.ofMillis(500),
					StatusRange.parseAll("100-499"), null, loops, UnaryOperator.identity());
			StepVerifier.create(onLoops.probe(instance()).map((result) -> Thread.currentThread().getName()))
				.assertNext((thread) -> assertThat(thread).startsWith("probe-loops-"))
				.expectComplete()
				.verify(Duration.ofSeconds(5));
		}
		finally {
			loops.disposeLater(Duration.ZERO, Duration.ofSeconds(5)).block();
		}
	}

	@Test
	void aProbeSlowerThanTheTimeoutMeansDown() {
		this.backend.healthDelay(Duration.ofSeconds(2));

		ProbeResult result = probe();
		assertThat(result.alive()).isFalse();
		assertThat(result.error()).isEqualTo("no answer within 500 ms");
	}

	@Test
	void aStoppedBackendMeansDown() {
		this.backend.stop();

		assertThat(probe()).isEqualTo(ProbeResult.failed("connection refused"));
	}

	@Test
	void anHttpsBackendIsProbedWithTheTlsSetupItIsGiven() {
		try (TlsBackend tlsBackend = TlsBackend.start()) {
			ServiceInstance https = new DefaultServiceInstance("tls", "backends", "localhost", tlsBackend.port(),
					true);
			UnaryOperator<HttpClient> trustAll = (client) -> client.secure((tls) -> tls.sslContext(
					Http11SslContextSpec.forClient()
						.configure((builder) -> builder.trustManager(InsecureTrustManagerFactory.INSTANCE))));
			HttpBackendProbe trusting = new HttpBackendProbe(TestBackend.HEALTH_PATH, Duration.ofSeconds(2),
					StatusRange.parseAll("200"), null, HttpResources.get(), trustAll);

			assertThat(probe(trusting, https)).isEqualTo(ProbeResult.healthy());
			ProbeResult untrusted = probe(this.probe, https);
			assertThat(untrusted.alive()).isFalse();
			assertThat(untrusted.error()).startsWith("TLS handshake failed: the backend's certificate is not trusted");
		}
	}

	private ProbeResult probe() {
		return probe(this.probe);
	}

	private ProbeResult probe(HttpBackendProbe probe) {
		return probe(probe, instance());
	}

	private ProbeResult probe(HttpBackendProbe probe, ServiceInstance backend) {
		ProbeResult[] result = new ProbeResult[1];
		StepVerifier.create(probe.probe(backend))
			.consumeNextWith((next) -> result[0] = next)
			.expectComplete()
			.verify(Duration.ofSeconds(5));
		return result[0];
	}

	private ServiceInstance instance() {
		return new DefaultServiceInstance(this.backend.url(), "backends", "127.0.0.1", this.backend.port(), false);
	}

}
