package dev.balancer.routing;

import java.util.List;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;
import reactor.netty.http.client.HttpClient;

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

/** On epoll the gateway's client keeps one shared connection pool: pools per event loop cost it throughput. */
@SpringBootTest(webEnvironment = WebEnvironment.RANDOM_PORT)
@AutoConfigureWebTestClient
@DirtiesContext // stops its health checker and frees its ports; no other test class shares this context
@EnabledOnOs(OS.LINUX)
class SharedPoolOnEpollIntegrationTests {

	static final List<TestBackend> backends = List.of(TestBackend.start("one"));

	@DynamicPropertySource
	static void balancer(DynamicPropertyRegistry registry) {
		BalancerTestProperties.register(registry, backends);
		registry.add("balancer.transport", () -> "epoll");
	}

	@AfterAll
	static void stopBackends() {
		backends.forEach(TestBackend::stop);
	}

	@Test
	void proxiesOverOneSharedPool(@Autowired HttpClient gatewayClient, @Autowired WebTestClient client) {
		client.get().uri("/shared").exchange().expectStatus().isOk().expectBody(String.class).isEqualTo("one");

		assertThat(gatewayClient.configuration().connectionProvider())
			.isNotInstanceOf(EventLoopAffineConnectionProvider.class);
	}

}
