package dev.balancer.routing;

import java.util.List;
import java.util.concurrent.TimeUnit;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import reactor.core.publisher.Flux;

import org.springframework.cloud.gateway.config.GlobalCorsProperties;
import org.springframework.cloud.gateway.event.RefreshRoutesEvent;
import org.springframework.cloud.gateway.event.RefreshRoutesResultEvent;
import org.springframework.cloud.gateway.handler.FilteringWebHandler;
import org.springframework.cloud.gateway.handler.RoutePredicateHandlerMapping;
import org.springframework.cloud.gateway.route.CachingRouteLocator;
import org.springframework.cloud.gateway.route.Route;
import org.springframework.mock.env.MockEnvironment;
import org.springframework.mock.http.server.reactive.MockServerHttpRequest;
import org.springframework.mock.web.server.MockServerWebExchange;
import org.springframework.web.server.ServerWebExchange;

/**
 * The gateway's route lookup against the balancer's ({@link RouteListHandlerMapping}), both over the gateway's
 * route cache: the balancer's catch-all route alone, and behind two routes of a developer's that do not match.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class RouteLookupBenchmark {

	/** How many routes a developer put before the catch-all route. */
	@Param({ "0", "2" })
	public int ownRoutes;

	private RoutePredicateHandlerMapping gateway;

	private RouteListHandlerMapping list;

	private final ServerWebExchange exchange = MockServerWebExchange.from(MockServerHttpRequest.get("/api/items/42"));

	@Setup
	public void setUp() {
		Route[] routes = new Route[this.ownRoutes + 1];
		for (int i = 0; i < this.ownRoutes; i++) {
			String prefix = "/own" + i + "/";
			routes[i] = Route.async().id("own" + i).order(i).uri("http://127.0.0.1:9")
				.predicate((exchange) -> exchange.getRequest().getPath().value().startsWith(prefix))
				.build();
		}
		routes[this.ownRoutes] = Route.async().id("balancer").order(Integer.MAX_VALUE).uri("lb://backends")
			.predicate((exchange) -> true).build();
		CachingRouteLocator cache = new CachingRouteLocator(() -> Flux.just(routes));
		MockEnvironment environment = new MockEnvironment();
		this.gateway = new RoutePredicateHandlerMapping(new FilteringWebHandler(List.of(), true), cache,
				new GlobalCorsProperties(), environment);
		this.list = new RouteListHandlerMapping(new FilteringWebHandler(List.of(), true), cache,
				new GlobalCorsProperties(), environment);
		cache.setApplicationEventPublisher((event) -> {
			if (event instanceof RefreshRoutesResultEvent result) {
				this.list.onApplicationEvent(result);
			}
		});
		cache.onApplicationEvent(new RefreshRoutesEvent(this));
	}

	@Benchmark
	public Object gateway() {
		return this.gateway.getHandler(this.exchange).block();
	}

	@Benchmark
	public Object list() {
		return this.list.getHandler(this.exchange).block();
	}

}
