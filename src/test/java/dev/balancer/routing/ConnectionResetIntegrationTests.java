package dev.balancer.routing;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import dev.balancer.support.BalancerTestProperties;
import dev.balancer.support.RawBackend;
import dev.balancer.support.TestBackend;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.context.SpringBootTest.WebEnvironment;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.boot.webtestclient.autoconfigure.AutoConfigureWebTestClient;
import org.springframework.http.HttpStatus;
import org.springframework.http.HttpStatusCode;
import org.springframework.http.MediaType;
import org.springframework.test.annotation.DirtiesContext;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import org.springframework.test.web.reactive.server.WebTestClient;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A backend that resets connections before answering: safe requests go on to the next backend, a POST whose
 * body was already sent is not repeated and gets a 502.
 * <p>
 * Now and then (about one reset in ten here) Reactor Netty 1.3.6 sees the reset of a connection whose request
 * body it is sending (it would log "the request cannot be retried as the headers/body were sent" at a level the
 * balancer turns off) but never fails the response: the attempt then ends at the response timeout, with a 504. The short response timeout keeps that
 * within the test client's 5 s; the POST is still not repeated.
 */
@SpringBootTest(webEnvironment = WebEnvironment.RANDOM_PORT,
		properties = { "balancer.health-check.interval=1h", "balancer.timeouts.response=1s" })
@AutoConfigureWebTestClient
@DirtiesContext // stops its health checker and frees its ports; no other test class shares this context
@ExtendWith(OutputCaptureExtension.class)
class ConnectionResetIntegrationTests {

	static final RawBackend resetting = RawBackend.start(RawBackend.Behaviour.RESET_BEFORE_RESPONSE);

	static final TestBackend good = TestBackend.start("good");

	@DynamicPropertySource
	static void balancer(DynamicPropertyRegistry registry) {
		BalancerTestProperties.register(registry, List.of());
		registry.add("balancer.backends[0].url", resetting::url);
		registry.add("balancer.backends[1].url", good::url);
	}

	@AfterAll
	static void stopBackends() throws IOException {
		resetting.close();
		good.stop();
	}

	@Autowired
	WebTestClient client;

	@BeforeEach
	void clear() {
		good.clear();
	}

	@Test
	void getsAreRetriedOnTheNextBackendAfterAReset() {
		for (int i = 0; i < 4; i++) {
			this.client.get().uri("/safe").exchange().expectStatus().isOk().expectBody(String.class).isEqualTo("good");
		}
		assertThat(resetting.misbehaved()).isGreaterThan(0);
		assertThat(good.requestCount()).as("each GET answered once, by the good backend").isEqualTo(4);
	}

	@Test
	void aPostWhoseBodyWasSentIsNotRepeatedAfterAReset(CapturedOutput output) {
		int resetsBefore = resetting.misbehaved();
		List<HttpStatusCode> statuses = new ArrayList<>();
		for (int i = 0; i < 2; i++) {
			statuses.add(this.client.post()
				.uri("/order")
				.contentType(MediaType.TEXT_PLAIN)
				.bodyValue("one order")
				.exchange()
				.returnResult(String.class)
				.getStatus());
		}
		// Normally one POST each way; after a lost reset the rotation can send both to the resetting backend.
		long failed = statuses.stream()
			.filter((status) -> status == HttpStatus.BAD_GATEWAY || status == HttpStatus.GATEWAY_TIMEOUT)
			.count();
		long answered = statuses.stream().filter((status) -> status == HttpStatus.OK).count();
		assertThat(failed + answered).as("statuses %s", statuses).isEqualTo(2);
		assertThat(failed).as("statuses %s", statuses).isPositive();
		assertThat(resetting.misbehaved() - resetsBefore).as("each failed POST was sent once, not repeated")
			.isEqualTo(failed);
		assertThat(good.requests()).hasSize((int) answered)
			.allSatisfy((received) -> assertThat(received.method()).isEqualTo("POST"));
		// One line per failed POST, naming the backend; none of Reactor Netty's stack traces.
		assertThat(output.getAll().lines().filter((line) -> line.contains("POST /order answered ")))
			.hasSize((int) failed)
			.allSatisfy((line) -> assertThat(line).contains(" WARN ", "(backend " + resetting.url() + ")"));
		assertThat(output.getAll()).doesNotContain("observed an error");
	}

}
