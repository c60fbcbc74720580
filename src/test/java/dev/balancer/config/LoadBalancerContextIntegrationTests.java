package dev.balancer.config;

import java.util.List;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

import dev.balancer.routing.Backends;
import dev.balancer.support.BalancerTestProperties;
import dev.balancer.support.TestBackend;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.context.SpringBootTest.WebEnvironment;
import org.springframework.boot.webtestclient.autoconfigure.AutoConfigureWebTestClient;
import org.springframework.cloud.loadbalancer.support.LoadBalancerClientFactory;
import org.springframework.test.annotation.DirtiesContext;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import org.springframework.test.web.reactive.server.WebTestClient;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The backends' load-balancer context is made while the balancer starts. Made by the first request instead, it
 * refreshed the gateway's routes on a server event loop, where the gateway's weight filter cannot block for them:
 * the first request after start got a 500 in about one start in five ({@code StartupIT} caught it).
 */
@SpringBootTest(webEnvironment = WebEnvironment.RANDOM_PORT)
@AutoConfigureWebTestClient
@DirtiesContext // a context of its own: no request may reach it before the test looks
class LoadBalancerContextIntegrationTests {

	static final TestBackend backend = TestBackend.start("only");

	@DynamicPropertySource
	static void balancer(DynamicPropertyRegistry registry) {
		BalancerTestProperties.register(registry, List.of(backend));
	}

	@AfterAll
	static void stopBackend() {
		backend.stop();
	}

	@Test
	void theBackendsContextIsThereBeforeTheFirstRequest(@Autowired LoadBalancerClientFactory clientFactory,
			@Autowired WebTestClient client) {
		assertThat(backend.requestCount()).isZero();
		assertThat(clientFactory.getContextNames()).containsExactly(Backends.SERVICE_ID);

		client.get().uri("/first").exchange().expectStatus().isOk().expectBody(String.class).isEqualTo("only");
	}

}
