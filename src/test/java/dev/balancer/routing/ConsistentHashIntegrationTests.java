package dev.balancer.routing;

import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

import dev.balancer.support.BalancerTestProperties;
import dev.balancer.support.TestBackend;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.context.SpringBootTest.WebEnvironment;
import org.springframework.boot.webtestclient.autoconfigure.AutoConfigureWebTestClient;
import org.springframework.test.annotation.DirtiesContext;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import org.springframework.test.web.reactive.server.WebTestClient;

import static org.assertj.core.api.Assertions.assertThat;

/** Consistent hashing on the client address through the real gateway: one client, one backend. */
@SpringBootTest(webEnvironment = WebEnvironment.RANDOM_PORT,
		properties = { "balancer.strategy=consistent-hash", "balancer.health-check.interval=1h" })
@AutoConfigureWebTestClient
@DirtiesContext // stops its health checker and frees its ports; no other test class shares this context
class ConsistentHashIntegrationTests {

	static final List<TestBackend> backends = List.of(TestBackend.start("one"), TestBackend.start("two"),
			TestBackend.start("three"));

	@DynamicPropertySource
	static void balancer(DynamicPropertyRegistry registry) {
		BalancerTestProperties.register(registry, backends);
	}

	@AfterAll
	static void stop() {
		backends.forEach(TestBackend::stop);
	}

	@Autowired
	WebTestClient client;

	@Test
	void everyRequestFromOneClientGoesToTheSameBackend() {
		List<String> answers = new ArrayList<>();
		for (int i = 0; i < 9; i++) {
			answers.add(this.client.get().uri("/page/" + i).exchange().expectStatus().isOk().expectBody(String.class)
				.returnResult().getResponseBody());
		}
		assertThat(answers).hasSize(9).containsOnly(answers.get(0));
	}

}
