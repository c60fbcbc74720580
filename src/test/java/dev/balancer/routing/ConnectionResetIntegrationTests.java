package dev.balancer.routing;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import dev.balancer.support.BalancerTestProperties;
import dev.balancer.support.RawBackend;
import dev.balancer.support.TestBackend;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.context.SpringBootTest.WebEnvironment;
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
 */
@SpringBootTest(webEnvironment = WebEnvironment.RANDOM_PORT, properties = "balancer.health-check.interval=1h")
@AutoConfigureWebTestClient
@DirtiesContext // stops its health checker and frees its ports; no other test class shares this context
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
	void aPostWhoseBodyWasSentIsNotRepeatedAfterAReset() {
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
		assertThat(statuses).containsExactlyInAnyOrder(HttpStatus.OK, HttpStatus.BAD_GATEWAY);
		assertThat(resetsBefore + 1).isEqualTo(resetting.misbehaved());
		assertThat(good.requests()).singleElement().satisfies((received) -> assertThat(received.method()).isEqualTo("POST"));
	}

}
