package dev.balancer.demo;

import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;

import dev.balancer.support.FreePorts;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.context.SpringBootTest.WebEnvironment;
import org.springframework.boot.webtestclient.autoconfigure.AutoConfigureWebTestClient;
import org.springframework.test.context.ActiveProfiles;
import org.springframework.test.annotation.DirtiesContext;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import org.springframework.test.web.reactive.server.WebTestClient;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The demo profile starts its own backends in the process and rotates over them, as the README's first
 * command shows. The demo's fixed ports 8081-8083 are swapped for free ones here.
 */
@SpringBootTest(webEnvironment = WebEnvironment.RANDOM_PORT, properties = "management.server.port=0")
@AutoConfigureWebTestClient
@DirtiesContext // stops its health checker and frees its ports; no other test class shares this context
@ActiveProfiles("demo")
class DemoProfileIntegrationTests {

	static final List<Integer> ports = List.of(FreePorts.next(), FreePorts.next(), FreePorts.next());

	@DynamicPropertySource
	static void demoBackends(DynamicPropertyRegistry registry) {
		for (int i = 0; i < ports.size(); i++) {
			int port = ports.get(i);
			registry.add("balancer.backends[" + i + "].url", () -> "http://localhost:" + port);
		}
	}

	@Autowired
	WebTestClient client;

	@Test
	void rotatesOverTheDemoBackendsStartedInProcess() {
		List<String> answers = new ArrayList<>();
		for (int i = 0; i < 6; i++) {
			answers.add(this.client.get().uri("/").exchange().expectStatus().isOk().expectBody(String.class)
				.returnResult().getResponseBody());
		}
		List<String> expected = ports.stream().map((port) -> "Hello from backend " + port + " (GET /)\n").toList();
		assertThat(answers.subList(0, 3)).containsExactlyInAnyOrderElementsOf(expected);
		assertThat(answers.subList(3, 6)).isEqualTo(answers.subList(0, 3));
	}

}
