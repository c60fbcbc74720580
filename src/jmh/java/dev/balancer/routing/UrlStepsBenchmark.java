package dev.balancer.routing;

import java.net.URI;
import java.util.concurrent.TimeUnit;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
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

/**
 * The two URL steps of a proxied request, the client's URL moved to the route ({@code lb://backends}) and then to
 * the chosen backend: the gateway's ({@link RouteToRequestUrlFilter}, {@link LoadBalancerUriTools}) against the
 * balancer's ({@link ExactRequestUrlFilter}, {@link ExactUrlLoadBalancerClientFilter}), on a plain URL and on one
 * with encoded characters; and the balancer's check of the raw target before them.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class UrlStepsBenchmark {

	@Param({ "/api/items/42?page=2&size=20", "/search?q=two%20words&lang=en" })
	public String target;

	private final RouteToRequestUrlFilter gatewayRouteStep = new RouteToRequestUrlFilter();

	private final ExactRequestUrlFilter exactRouteStep = new ExactRequestUrlFilter();

	private final ExactUrlLoadBalancerClientFilter exactBackendStep = new ExactUrlLoadBalancerClientFilter(
			new LoadBalancerClientFactory(new LoadBalancerClientsProperties()), new GatewayLoadBalancerProperties());

	private final DelegatingServiceInstance backend = new DelegatingServiceInstance(
			new DefaultServiceInstance("one", "backends", "10.0.0.7", 8081, false), "http");

	private final GatewayFilterChain end = (exchange) -> Mono.empty();

	private MockServerWebExchange exchange;

	@Setup
	public void setUp() {
		this.exchange = MockServerWebExchange
			.from(MockServerHttpRequest.method(HttpMethod.GET, URI.create("http://localhost:8080" + this.target)));
		Route route = Route.async().id("balancer").uri("lb://backends").predicate((e) -> true).build();
		this.exchange.getAttributes().put(ServerWebExchangeUtils.GATEWAY_ROUTE_ATTR, route);
	}

	@Benchmark
	public URI gateway() {
		this.gatewayRouteStep.filter(this.exchange, this.end);
		URI balanced = this.exchange.getRequiredAttribute(ServerWebExchangeUtils.GATEWAY_REQUEST_URL_ATTR);
		return LoadBalancerUriTools.reconstructURI(this.backend, balanced);
	}

	@Benchmark
	public URI exact() {
		this.exactRouteStep.filter(this.exchange, this.end);
		URI balanced = this.exchange.getRequiredAttribute(ServerWebExchangeUtils.GATEWAY_REQUEST_URL_ATTR);
		return this.exactBackendStep.reconstructURI(this.backend, balanced);
	}

	/**
	 * The step before both, on the target as Netty read it ({@link ClientRequestHeads}): on every request, a
	 * scan that finds nothing to encode in such targets.
	 */
	@Benchmark
	public String targetEncoding() {
		return ClientRequestHeads.encoded(this.target);
	}

}
