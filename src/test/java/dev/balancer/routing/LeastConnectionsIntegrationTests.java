package dev.balancer.routing;

import java.time.Duration;
import java.util.List;

import io.micrometer.core.instrument.MeterRegistry;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

import dev.balancer.support.BalancerTestProperties;
import dev.balancer.support.TestBackend;

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

/** A slow backend gets fewer requests than fast ones under least-connections, through the real gateway. */
@SpringBootTest(webEnvironment = WebEnvironment.RANDOM_PORT,
		properties = { "balancer.strategy=least-connections", "balancer.health-check.interval=1h" })
@DirtiesContext // stops its health checker and frees its ports; no other test class shares this context
class LeastConnectionsIntegrationTests {

	static final TestBackend slow = TestBackend.start("slow").delay(Duration.ofMillis(300));

	static final TestBackend fast1 = TestBackend.start("fast1");

	static final TestBackend fast2 = TestBackend.start("fast2");

	@DynamicPropertySource
	static void balancer(DynamicPropertyRegistry registry) {
		BalancerTestProperties.register(registry, List.of(slow, fast1, fast2));
	}

	@AfterAll
	static void stop() {
		List.of(slow, fast1, fast2).forEach(TestBackend::stop);
	}

	@LocalServerPort
	int port;

	@Autowired
	MeterRegistry meters;

	@Test
	void aRequestTheClientGivesUpOnLeavesTheCountAtOnce() {
		List.of(slow, fast1, fast2).forEach((backend) -> backend.delay(Duration.ofSeconds(3)));
		try {
			WebClient client = WebClient.create("http://localhost:" + this.port);
			client.get().uri("/abandoned").retrieve().bodyToMono(String.class)
				.timeout(Duration.ofMillis(200))
				.onErrorResume((ex) -> Mono.empty())
				.block(Duration.ofSeconds(5));

			// The backend still works on it for seconds; the balancer counts it no more.
			await().atMost(Duration.ofSeconds(1)).untilAsserted(this::noRequestsInFlight);
		}
		finally {
			slow.delay(Duration.ofMillis(300));
			fast1.delay(Duration.ZERO);
			fast2.delay(Duration.ZERO);
		}
	}

	@Test
	void aSlowBackendGetsFewerRequestsThanFastOnes() {
		WebClient client = WebClient.create("http://localhost:" + this.port);

		List<String> answers = Flux.range(0, 120)
			.flatMap((i) -> client.get().uri("/work/" + i).retrieve().bodyToMono(String.class), 6)
			.collectList()
			.block(Duration.ofSeconds(30));

		assertThat(answers).hasSize(120);
		assertThat(slow.requestCount()).isLessThan(fast1.requestCount() / 2).isLessThan(fast2.requestCount() / 2);
		await().atMost(Duration.ofSeconds(5)).untilAsserted(this::noRequestsInFlight);
	}

	private void noRequestsInFlight() {
		assertThat(this.meters.find("balancer.backend.requests.active").gauges()).hasSize(3)
			.allSatisfy((gauge) -> assertThat(gauge.value()).isZero());
	}

}
