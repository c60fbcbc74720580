package dev.balancer.faults;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import io.micrometer.core.instrument.MeterRegistry;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

import dev.balancer.health.OutlierDetector;
import dev.balancer.support.BalancerTestProperties;
import dev.balancer.support.Instances;
import dev.balancer.support.Load;
import dev.balancer.support.TestBackend;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.context.SpringBootTest.WebEnvironment;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.boot.webtestclient.autoconfigure.AutoConfigureWebTestClient;
import org.springframework.test.annotation.DirtiesContext;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import org.springframework.test.web.reactive.server.EntityExchangeResult;
import org.springframework.test.web.reactive.server.WebTestClient;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A backend that accepts requests and never answers, next to one that answers at once; response timeout
 * 300 ms.
 * <ul>
 * <li>A POST it swallows gets a 504 with the JSON error body after about the timeout (not retried).</li>
 * <li>GETs are retried on the other backend: all 40 answered 200, none slower than 1.5 s.</li>
 * <li>After 5 timeouts in a row it is ejected and gets no more requests.</li>
 * </ul>
 */
@SpringBootTest(webEnvironment = WebEnvironment.RANDOM_PORT,
		properties = { "balancer.health-check.interval=1h", "balancer.timeouts.response=300ms",
				"balancer.retry.backoff.base=10ms" })
@AutoConfigureWebTestClient
@DirtiesContext // stops its health checker and frees its ports; no other test class shares this context
@TestMethodOrder(MethodOrderer.OrderAnnotation.class) // the GETs end with the hanging backend ejected
class HangingBackendIntegrationTests {

	static final TestBackend hanging = TestBackend.start("hanging").delay(Duration.ofSeconds(30));

	static final TestBackend fast = TestBackend.start("fast");

	@DynamicPropertySource
	static void balancer(DynamicPropertyRegistry registry) {
		BalancerTestProperties.register(registry, List.of(hanging, fast));
	}

	@AfterAll
	static void stop() {
		hanging.stop();
		fast.stop();
	}

	@LocalServerPort
	int port;

	@Autowired
	WebTestClient client;

	@Autowired
	OutlierDetector outliers;

	@Autowired
	MeterRegistry meters;

	@Test
	@Order(1)
	void aPostTheBackendSwallowsGetsA504AfterTheTimeout() {
		List<EntityExchangeResult<String>> answers = new ArrayList<>();
		for (int i = 0; i < 2; i++) {
			answers.add(this.client.mutate().responseTimeout(Duration.ofSeconds(5)).build().post().uri("/order")
				.exchange().expectBody(String.class).returnResult());
		}

		assertThat(answers).extracting((answer) -> answer.getStatus().value()).containsExactlyInAnyOrder(200, 504);
		EntityExchangeResult<String> timedOut = answers.stream().filter((a) -> a.getStatus().value() == 504)
			.findFirst().orElseThrow();
		assertThat(timedOut.getResponseBody()).contains("\"status\":504").contains("\"error\":\"Gateway Timeout\"");
		assertThat(hanging.requestCount()).as("a POST is not sent twice").isEqualTo(1);
	}

	@Test
	@Order(2)
	void getsAreRetriedWithinBoundedTimeAndTheHangingBackendIsEjected() {
		List<Load.Result> results = Load.get("http://localhost:" + this.port, "/hang", 40, 4, Duration.ofSeconds(60));

		assertThat(results).allMatch(Load.Result::ok).allMatch((result) -> result.body().equals("fast"));
		assertThat(results).as("latency of each of 40 GETs with a 300 ms response timeout")
			.allSatisfy((result) -> assertThat(result.latency()).isLessThan(Duration.ofMillis(1500)));
		assertThat(this.outliers.isEjected(Instances.backend(hanging.port()))).isTrue();
		assertThat(hanging.requestCount()).as("requests the hanging backend got before its ejection")
			.isBetween(5, 10);
		assertThat(this.meters.get("balancer.timeouts").tag("timeout", "response").counter().count())
			.isGreaterThanOrEqualTo(5);
	}

}
