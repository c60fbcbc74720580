package dev.balancer.routing;

import java.net.URI;
import java.util.List;

import org.junit.jupiter.api.Test;
import reactor.core.publisher.Mono;

import org.springframework.cloud.client.DefaultServiceInstance;
import org.springframework.cloud.client.loadbalancer.LoadBalancerClientsProperties;
import org.springframework.cloud.client.loadbalancer.LoadBalancerUriTools;
import org.springframework.cloud.gateway.config.GatewayLoadBalancerProperties;
import org.springframework.cloud.gateway.filter.GatewayFilterChain;
import org.springframework.cloud.gateway.filter.RouteToRequestUrlFilter;
import org.springframework.cloud.gateway.route.Route;
import org.springframework.cloud.gateway.support.DelegatingServiceInstance;
import org.springframework.cloud.gateway.support.ServerWebExchangeUtils;
import org.springframework.cloud.loadbalancer.support.LoadBalancerClientFactory;
import org.springframework.http.HttpMethod;
import org.springframework.mock.http.server.reactive.MockServerHttpRequest;
import org.springframework.mock.web.server.MockServerWebExchange;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The client's path and query pass as sent where the gateway's URL steps rewrite them, and ordinary URLs come
 * out as from the gateway. That the balancer uses these steps: {@code ProxyIntegrationTests} and
 * {@code WebSocketIntegrationTests}.
 */
class ExactUrlsTests {

	/** Path and query the gateway's steps change: repeated and empty parameters, a double slash. */
	static final String REWRITTEN_BY_THE_GATEWAY = "/a//b;v=1/%2F?a=1&b=2&a=3&&=x&c";

	/** Ordinary ones, which the gateway's steps leave as they are. */
	static final List<String> ORDINARY = List.of("/", "/api/items/42", "/search?q=two%20words&page=2",
			"/p;v=1/x?a=1&b&c=", "/caf%C3%A9?x=%2F&y=a+b", "/files/a%2Fb.txt");

	final ExactUrlLoadBalancerClientFilter balancer = new ExactUrlLoadBalancerClientFilter(
			new LoadBalancerClientFactory(new LoadBalancerClientsProperties()), new GatewayLoadBalancerProperties());

	final DelegatingServiceInstance backend = new DelegatingServiceInstance(
			new DefaultServiceInstance("one", "backends", "10.0.0.7", 8081, false), "http");

	@Test
	void schemeHostAndPortChangeAndPathAndQueryStayAsSent() {
		URI client = URI.create("http://localhost:8080" + REWRITTEN_BY_THE_GATEWAY);

		assertThat(ExactUrls.moved(client, "http", "10.0.0.7", 8081))
			.hasToString("http://10.0.0.7:8081" + REWRITTEN_BY_THE_GATEWAY);
		assertThat(ExactUrls.moved(client, "lb", "backends", -1))
			.hasToString("lb://backends" + REWRITTEN_BY_THE_GATEWAY);
	}

	/**
	 * Kept, user info made a host of {@code a@10.0.0.7}, and a fragment without a path one of
	 * {@code 10.0.0.7:8081#x}.
	 */
	@Test
	void theClientsUserInfoAndFragmentAreLeftBehind() {
		URI withUserInfo = URI.create("http://user:secret@localhost:8080/a?b#part");
		assertThat(ExactUrls.moved(withUserInfo, "http", "10.0.0.7", 8081)).hasToString("http://10.0.0.7:8081/a?b");
		assertThat(ExactUrls.moved(URI.create("http://a#x"), "http", "10.0.0.7", 8081))
			.hasToString("http://10.0.0.7:8081")
			.extracting(URI::getHost, URI::getPort)
			.containsExactly("10.0.0.7", 8081);
	}

	@Test
	void ipv6HostsGetTheirBrackets() {
		URI client = URI.create("http://localhost:8080/x?y");

		assertThat(ExactUrls.moved(client, "http", "::1", 8081)).hasToString("http://[::1]:8081/x?y");
		assertThat(ExactUrls.moved(client, "http", "[::1]", 8081)).hasToString("http://[::1]:8081/x?y");
	}

	@Test
	void aQueryWithoutAPathStaysWithoutOne() {
		assertThat(ExactUrls.moved(URI.create("http://localhost:8080?q=1"), "http", "h", 81))
			.hasToString("http://h:81?q=1");
	}

	@Test
	void routesWithoutAHostOfTheirOwnAreLeftToTheGateway() {
		URI client = URI.create("http://localhost:8080/x");

		assertThat(ExactUrls.onRoute(client, URI.create("lb:ws://backends"))).isNull();
		assertThat(ExactUrls.onRoute(client, URI.create("lb://bad_host"))).isNull();
		assertThat(ExactUrls.onRoute(client, URI.create("lb://backends"))).hasToString("lb://backends/x");
	}

	@Test
	void theRouteStepKeepsWhatTheGatewaysRewrites() {
		assertThat(routeStep(new ExactRequestUrlFilter(), REWRITTEN_BY_THE_GATEWAY))
			.hasToString("lb://backends" + REWRITTEN_BY_THE_GATEWAY);
		assertThat(routeStep(new RouteToRequestUrlFilter(), REWRITTEN_BY_THE_GATEWAY))
			.as("the gateway's own step, for contrast")
			.hasToString("lb://backends/a/b;v=1/%2F?a=1&a=3&b=2&x&c");
	}

	@Test
	void theRouteStepGivesOrdinaryUrlsAsTheGatewayDoes() {
		for (String target : ORDINARY) {
			assertThat(routeStep(new ExactRequestUrlFilter(), target)).as(target)
				.isEqualTo(routeStep(new RouteToRequestUrlFilter(), target));
		}
	}

	@Test
	void theBackendStepKeepsWhatTheGatewaysRewrites() {
		URI balanced = URI.create("lb://backends" + REWRITTEN_BY_THE_GATEWAY);

		assertThat(this.balancer.reconstructURI(this.backend, balanced))
			.hasToString("http://10.0.0.7:8081" + REWRITTEN_BY_THE_GATEWAY);
		assertThat(LoadBalancerUriTools.reconstructURI(this.backend, balanced))
			.as("the gateway's own step, for contrast")
			.hasToString("http://10.0.0.7:8081/a/b;v=1/%2F?a=1&a=3&b=2&x&c");
	}

	@Test
	void theBackendStepGivesOrdinaryUrlsAsTheGatewayDoes() {
		DelegatingServiceInstance secure = new DelegatingServiceInstance(
				new DefaultServiceInstance("two", "backends", "backend.example", -1, true), "https");
		for (String target : ORDINARY) {
			URI balanced = URI.create("lb://backends" + target);
			assertThat(this.balancer.reconstructURI(this.backend, balanced)).as(target)
				.isEqualTo(LoadBalancerUriTools.reconstructURI(this.backend, balanced));
			assertThat(this.balancer.reconstructURI(secure, balanced)).as(target)
				.isEqualTo(LoadBalancerUriTools.reconstructURI(secure, balanced));
		}
	}

	private static URI routeStep(RouteToRequestUrlFilter filter, String target) {
		MockServerWebExchange exchange = MockServerWebExchange
			.from(MockServerHttpRequest.method(HttpMethod.GET, URI.create("http://localhost:8080" + target)));
		Route route = Route.async().id("balancer").uri("lb://backends").predicate((e) -> true).build();
		exchange.getAttributes().put(ServerWebExchangeUtils.GATEWAY_ROUTE_ATTR, route);
		GatewayFilterChain end = (e) -> Mono.empty();
		filter.filter(exchange, end).block();
		return exchange.getRequiredAttribute(ServerWebExchangeUtils.GATEWAY_REQUEST_URL_ATTR);
	}

}
