package dev.balancer.metrics;

import java.time.Duration;
import java.util.concurrent.TimeUnit;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.netty.DisposableServer;

import dev.balancer.support.BalancerTestProperties;
import dev.balancer.support.LoopbackBackend;
import dev.balancer.support.Scrapes;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.context.SpringBootTest.WebEnvironment;
import org.springframework.boot.test.web.server.LocalManagementPort;
import org.springframework.boot.webtestclient.autoconfigure.AutoConfigureWebTestClient;
import org.springframework.test.annotation.DirtiesContext;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import org.springframework.test.web.reactive.server.WebTestClient;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code balancer.backend.response.time} times how long a real backend takes to begin its answer, not how long
 * its body takes, and reaches the Prometheus scrape as a histogram per backend.
 */
@SpringBootTest(webEnvironment = WebEnvironment.RANDOM_PORT)
@AutoConfigureWebTestClient
@DirtiesContext // stops its health checker and frees its ports; no other test class shares this context
class BackendResponseTimeIntegrationTests {

	static final Duration HEAD_DELAY = Duration.ofMillis(300);

	static final Duration BODY_DELAY = Duration.ofMillis(1500);

	static final DisposableServer backend = LoopbackBackend.start((routes) -> routes
			// the head after 300 ms
			.get("/slow-head", (request, response) -> response.sendString(Mono.delay(HEAD_DELAY).thenReturn("done")))
			// the head at once, with the first piece of a body that ends 1.5 s later
			.get("/slow-body", (request, response) -> response
				.sendString(Flux.concat(Mono.just("begun;"), Mono.delay(BODY_DELAY).thenReturn("ended")))));

	@DynamicPropertySource
	static void balancer(DynamicPropertyRegistry registry) {
		BalancerTestProperties.register(registry, backend);
	}

	@AfterAll
	static void stopBackend() {
		backend.disposeNow();
	}

	@Autowired
	WebTestClient client;

	@Autowired
	MeterRegistry meters;

	@LocalManagementPort
	int managementPort;

	@Test
	void timesTheWaitForTheHeadOfEachResponse() {
		Timer timer = this.meters.get("balancer.backend.response.time").timer();
		long before = timer.count();
		double totalBefore = timer.totalTime(TimeUnit.MILLISECONDS);

		this.client.get().uri("/slow-head").exchange().expectBody(String.class).isEqualTo("done");

		assertThat(timer.count()).isEqualTo(before + 1);
		assertThat(timer.totalTime(TimeUnit.MILLISECONDS) - totalBefore).isGreaterThanOrEqualTo(HEAD_DELAY.toMillis());
	}

	@Test
	void notTheTimeTheBodyTakes() {
		Timer timer = this.meters.get("balancer.backend.response.time").timer();
		long before = timer.count();
		double totalBefore = timer.totalTime(TimeUnit.MILLISECONDS);

		this.client.get().uri("/slow-body").exchange().expectBody(String.class).isEqualTo("begun;ended");

		assertThat(timer.count()).isEqualTo(before + 1);
		assertThat(timer.totalTime(TimeUnit.MILLISECONDS) - totalBefore).isLessThan(BODY_DELAY.toMillis());
	}

	@Test
	void prometheusGetsAHistogramPerBackend() {
		this.client.get().uri("/slow-head").exchange().expectStatus().isOk();

		String scrape = Scrapes.prometheus(this.managementPort);

		String backendTag = "backend=\"http://127.0.0.1:" + backend.port() + "\"";
		assertThat(scrape).contains("# TYPE balancer_backend_response_time_seconds histogram")
			.contains("balancer_backend_response_time_seconds_bucket{" + backendTag + ",le=\"0.25\"}")
			.contains("balancer_backend_response_time_seconds_bucket{" + backendTag + ",le=\"30.0\"}")
			.contains("balancer_backend_response_time_seconds_bucket{" + backendTag + ",le=\"+Inf\"}")
			.contains("balancer_backend_response_time_seconds_count{" + backendTag + "}");
	}

}
