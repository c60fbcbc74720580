package dev.balancer.faults;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import io.micrometer.core.instrument.MeterRegistry;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import dev.balancer.support.BalancerTestProperties;
import dev.balancer.support.TestBackend;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.context.SpringBootTest.WebEnvironment;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.boot.webtestclient.autoconfigure.AutoConfigureWebTestClient;
import org.springframework.test.annotation.DirtiesContext;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import org.springframework.test.web.reactive.server.EntityExchangeResult;
import org.springframework.test.web.reactive.server.WebTestClient;

import static org.assertj.core.api.Assertions.as;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.InstanceOfAssertFactories.STRING;

/**
 * The request timeout bounds a whole request even when the response timeout per attempt is longer, counts as the
 * backend's timeout, and debug headers tell the client what happened.
 */
@SpringBootTest(webEnvironment = WebEnvironment.RANDOM_PORT,
		properties = { "balancer.health-check.interval=1h", "balancer.timeouts.response=5s",
				"balancer.timeouts.request=500ms", "balancer.debug-headers=true",
				"balancer.outlier-detection.enabled=false" })
@AutoConfigureWebTestClient
@DirtiesContext // stops its health checker and frees its ports; no other test class shares this context
@ExtendWith(OutputCaptureExtension.class)
class TimeoutsIntegrationTests {

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

	@Autowired
	WebTestClient client;

	@Autowired
	MeterRegistry meters;

	@Test
	void theRequestTimeoutAnswers504AndDebugHeadersNameTheAttemptsAndTheBackend(CapturedOutput output) {
		List<EntityExchangeResult<String>> answers = new ArrayList<>();
		for (int i = 0; i < 2; i++) { // one to each backend, in rotation
			answers.add(this.client.mutate().responseTimeout(Duration.ofSeconds(4)).build().get().uri("/t")
				.exchange().expectBody(String.class).returnResult());
		}

		EntityExchangeResult<String> ok = answers.stream().filter((a) -> a.getStatus().value() == 200).findFirst()
			.orElseThrow();
		assertThat(ok.getResponseHeaders().getFirst("X-Balancer-Attempts")).isEqualTo("1");
		assertThat(ok.getResponseHeaders().getFirst("X-Balancer-Backend")).isEqualTo(fast.url());

		EntityExchangeResult<String> timedOut = answers.stream().filter((a) -> a.getStatus().value() == 504)
			.findFirst().orElseThrow();
		assertThat(timedOut.getResponseBody()).contains("No response within the request timeout of 500 ms");
		// the balancer's own answer too, where an operator needs them most
		assertThat(timedOut.getResponseHeaders().getFirst("X-Balancer-Attempts")).isEqualTo("1");
		assertThat(timedOut.getResponseHeaders().getFirst("X-Balancer-Backend")).isEqualTo(hanging.url());
		assertThat(output.getAll().lines().filter((line) -> line.contains("GET /t answered ")))
			.singleElement(as(STRING))
			.contains(" WARN ", "answered 504: No response within the request timeout of 500 ms",
					"(backend " + hanging.url() + ")");
		// The attempt the request timeout called off is the backend's timeout, not a client gone away.
		assertThat(this.meters.get("balancer.backend.requests").tag("backend", hanging.url()).tag("status", "timeout")
			.counter().count()).isEqualTo(1);
		assertThat(this.meters.find("balancer.backend.requests").tag("status", "client_abort").counter()).isNull();
	}

}
