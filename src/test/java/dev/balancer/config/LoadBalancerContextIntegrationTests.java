package dev.balancer.config;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

import dev.balancer.routing.Backends;
import dev.balancer.support.BalancerTestProperties;
import dev.balancer.support.TestBackend;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.context.SpringBootTest.WebEnvironment;
import org.springframework.boot.test.context.TestConfiguration;
import org.springframework.boot.webtestclient.autoconfigure.AutoConfigureWebTestClient;
import org.springframework.cloud.gateway.event.RefreshRoutesEvent;
import org.springframework.cloud.loadbalancer.support.LoadBalancerClientFactory;
import org.springframework.context.ApplicationListener;
import org.springframework.test.annotation.DirtiesContext;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import org.springframework.test.web.reactive.server.WebTestClient;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A service's load-balancer context leaves the gateway's routes alone, and the backends' is made while the balancer
 * starts. A context made by a service's first request, on a server event loop, used to refresh the gateway's routes
 * there, where the gateway's weight filter cannot block for them: the first request after start got a 500 in about
 * one start in five ({@code StartupIT} caught it).
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
	void aServicesContextMadeWhileRunningDoesNotRefreshTheRoutes(@Autowired LoadBalancerClientFactory clientFactory,
			@Autowired RefreshedRoutes refreshedRoutes) {
		refreshedRoutes.events.clear();

		// What a developer's route to lb://orders does on its first request (without discovery it finds no instances).
		clientFactory.getInstance("orders");

		assertThat(clientFactory.getContextNames()).contains("orders");
		assertThat(refreshedRoutes.events).isEmpty();
	}

	@Test
	void theBackendsContextIsThereBeforeTheFirstRequest(@Autowired LoadBalancerClientFactory clientFactory,
			@Autowired WebTestClient client) {
		assertThat(backend.requestCount()).isZero();
		assertThat(clientFactory.getContextNames()).contains(Backends.SERVICE_ID);

		client.get().uri("/first").exchange().expectStatus().isOk().expectBody(String.class).isEqualTo("only");
	}

	@TestConfiguration(proxyBeanMethods = false)
	static class RefreshedRoutes implements ApplicationListener<RefreshRoutesEvent> {

		final List<RefreshRoutesEvent> events = new CopyOnWriteArrayList<>();

		@Override
		public void onApplicationEvent(RefreshRoutesEvent event) {
			this.events.add(event);
		}

	}

}
