package dev.balancer.routing;

import java.io.IOException;
import java.net.URI;
import java.time.Duration;
import java.util.List;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Mono;

import dev.balancer.support.BalancerTestProperties;
import dev.balancer.support.RawRequests;
import dev.balancer.support.TestBackend;
import dev.balancer.support.TestBackend.RecordedRequest;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.context.SpringBootTest.WebEnvironment;
import org.springframework.boot.test.context.TestConfiguration;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.boot.webtestclient.autoconfigure.AutoConfigureWebTestClient;
import org.springframework.cloud.gateway.event.RefreshRoutesEvent;
import org.springframework.cloud.gateway.handler.RoutePredicateHandlerMapping;
import org.springframework.cloud.gateway.handler.predicate.PredicateDefinition;
import org.springframework.cloud.gateway.route.RouteDefinition;
import org.springframework.cloud.gateway.route.RouteDefinitionWriter;
import org.springframework.cloud.gateway.route.RouteLocator;
import org.springframework.cloud.gateway.route.builder.RouteLocatorBuilder;
import org.springframework.context.ApplicationEventPublisher;
import org.springframework.context.annotation.Bean;
import org.springframework.test.annotation.DirtiesContext;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import org.springframework.test.util.ReflectionTestUtils;
import org.springframework.test.web.reactive.server.WebTestClient;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * A developer's own gateway routes, from properties, from a {@code RouteLocator} bean, and added while running,
 * win over the balancer's catch-all route; every other request still goes to the backends.
 */
@SpringBootTest(webEnvironment = WebEnvironment.RANDOM_PORT)
@AutoConfigureWebTestClient
@DirtiesContext // stops its health checker and frees its ports; no other test class shares this context
class GatewayRoutesIntegrationTests {

	static final TestBackend balanced = TestBackend.start("balanced");

	/** The target of the developer's routes, outside the balancer's backends. */
	static final TestBackend own = TestBackend.start("own");

	@DynamicPropertySource
	static void balancer(DynamicPropertyRegistry registry) {
		BalancerTestProperties.register(registry, List.of(balanced));
		String routes = "spring.cloud.gateway.server.webflux.routes[0].";
		registry.add(routes + "id", () -> "from-properties");
		registry.add(routes + "uri", own::url);
		registry.add(routes + "predicates[0]", () -> "Path=/own/**");
		registry.add(routes + "predicates[1]", () -> "Method=GET");
		String unicode = "spring.cloud.gateway.server.webflux.routes[1].";
		registry.add(unicode + "id", () -> "unicode");
		registry.add(unicode + "uri", own::url);
		registry.add(unicode + "predicates[0]", () -> "Path=/caf\u00e9/**");
	}

	@AfterAll
	static void stopBackends() {
		balanced.stop();
		own.stop();
	}

	@Autowired
	WebTestClient client;

	@Autowired
	RoutePredicateHandlerMapping mapping;

	@Autowired
	RouteDefinitionWriter definitions;

	@Autowired
	ApplicationEventPublisher events;

	@Test
	void theBalancerLooksRoutesUpInAListOfAllRoutesWithItsOwnLast() {
		assertThat(this.mapping).isInstanceOf(RouteListHandlerMapping.class);
		List<?> routes = (List<?>) ReflectionTestUtils.getField(this.mapping, "routes");
		assertThat(routes).extracting("id").containsExactlyInAnyOrder("from-properties", "unicode", "late", "balancer")
			.last()
			.isEqualTo("balancer");
	}

	@Test
	void aRouteFromPropertiesWinsForWhatItMatches() {
		assertThat(get("/own/thing")).isEqualTo("own");
		assertThat(own.requests().get(own.requests().size() - 1).path()).isEqualTo("/own/thing");
		assertThat(get("/")).isEqualTo("balanced");
		assertThat(get("/elsewhere")).isEqualTo("balanced");
		this.client.post().uri("/own/thing").exchange().expectStatus().isOk().expectBody(String.class)
			.isEqualTo("balanced");
	}

	/** A raw UTF-8 target is percent-encoded before the lookup ({@code ClientRequestHeads}), then decoded. */
	@Test
	void aPathPredicateWithANonAsciiCharacterMatchesTheTargetRawAndPercentEncoded(@LocalServerPort int port)
			throws IOException {
		assertThat(RawRequests.statusLine(port, "GET /caf\u00c3\u00a9/x HTTP/1.1\r\nHost: localhost\r\n"
				+ "Connection: close\r\n\r\n"))
			.isEqualTo("HTTP/1.1 200 OK");
		assertThat(own.requests()).extracting(RecordedRequest::path).last().isEqualTo("/caf%C3%A9/x");
		this.client.get().uri(URI.create("http://localhost:" + port + "/caf%C3%A9/y")).exchange().expectStatus().isOk()
			.expectBody(String.class).isEqualTo("own");
		assertThat(get("/cafe/x")).isEqualTo("balanced");
	}

	@Test
	void aRouteFromARouteLocatorBeanWhosePredicateAnswersLaterWins() {
		this.client.get().uri("/").header("X-Route", "late").exchange().expectStatus().isOk()
			.expectBody(String.class).isEqualTo("own");
		this.client.get().uri("/").header("X-Route", "other").exchange().expectStatus().isOk()
			.expectBody(String.class).isEqualTo("balanced");
	}

	@Test
	void aRouteAddedWhileRunningWinsOnceTheRoutesAreRefreshed() {
		assertThat(get("/added/thing")).isEqualTo("balanced");

		RouteDefinition added = new RouteDefinition();
		added.setId("added");
		added.setUri(URI.create(own.url()));
		added.setPredicates(List.of(new PredicateDefinition("Path=/added/**")));
		this.definitions.save(Mono.just(added)).block(Duration.ofSeconds(5));
		this.events.publishEvent(new RefreshRoutesEvent(this));

		await().atMost(Duration.ofSeconds(10)).until(() -> "own".equals(get("/added/thing")));
		assertThat(get("/")).isEqualTo("balanced");

		this.definitions.delete(Mono.just("added")).block(Duration.ofSeconds(5));
		this.events.publishEvent(new RefreshRoutesEvent(this));
		await().atMost(Duration.ofSeconds(10)).until(() -> "balanced".equals(get("/added/thing")));
	}

	private String get(String path) {
		return this.client.get().uri(path).exchange().expectStatus().isOk().expectBody(String.class).returnResult()
			.getResponseBody();
	}

	@TestConfiguration(proxyBeanMethods = false)
	static class OwnRoutes {

		/** Routes on a header, with a predicate that answers only after a few milliseconds. */
		@Bean
		RouteLocator lateRoute(RouteLocatorBuilder routes) {
			return routes.routes()
				.route("late", (route) -> route
					.asyncPredicate((exchange) -> Mono
						.just("late".equals(exchange.getRequest().getHeaders().getFirst("X-Route")))
						.delayElement(Duration.ofMillis(5)))
					.uri(own.url()))
				.build();
		}

	}

}
