package dev.balancer.routing;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;

import org.junit.jupiter.api.Test;
import org.reactivestreams.Publisher;
import reactor.core.Exceptions;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.test.StepVerifier;

import org.springframework.cloud.gateway.config.GlobalCorsProperties;
import org.springframework.cloud.gateway.event.RefreshRoutesEvent;
import org.springframework.cloud.gateway.event.RefreshRoutesResultEvent;
import org.springframework.cloud.gateway.handler.AsyncPredicate;
import org.springframework.cloud.gateway.handler.FilteringWebHandler;
import org.springframework.cloud.gateway.handler.RoutePredicateHandlerMapping;
import org.springframework.cloud.gateway.route.CachingRouteLocator;
import org.springframework.cloud.gateway.route.Route;
import org.springframework.cloud.gateway.route.RouteLocator;
import org.springframework.cloud.gateway.support.ServerWebExchangeUtils;
import org.springframework.mock.env.MockEnvironment;
import org.springframework.mock.http.server.reactive.MockServerHttpRequest;
import org.springframework.mock.web.server.MockServerWebExchange;
import org.springframework.web.server.ServerWebExchange;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The same route as the gateway's own lookup finds, from a list renewed with the gateway's route cache. That the
 * balancer uses it, and that routes added at run time are found: {@code GatewayRoutesIntegrationTests}.
 */
class RouteListHandlerMappingTests {

	/** What the delegate locator hands the gateway's cache; a refresh makes the cache read it again. */
	final List<Route> defined = new CopyOnWriteArrayList<>();

	final CachingRouteLocator cache = new CachingRouteLocator(() -> Flux.fromIterable(this.defined));

	final RouteListHandlerMapping mapping = mapping(this.cache);

	final RoutePredicateHandlerMapping gateways = new RoutePredicateHandlerMapping(
			new FilteringWebHandler(List.of(), false), this.cache, new GlobalCorsProperties(), new MockEnvironment());

	RouteListHandlerMappingTests() {
		this.cache.setApplicationEventPublisher((event) -> {
			if (event instanceof RefreshRoutesResultEvent result) {
				this.mapping.onApplicationEvent(result);
			}
		});
	}

	@Test
	void findsTheFirstMatchingRouteInOrderAsTheGatewayDoes() {
		define(route("api", 2, path("/api")), route("admin", 1, path("/admin")), route("catch-all", 9, (e) -> true),
				route("also-api", 3, path("/api")));

		for (String path : List.of("/api/items", "/admin", "/", "/other")) {
			assertThat(routeFoundBy(this.mapping, path)).as(path).isEqualTo(routeFoundBy(this.gateways, path));
		}
		assertThat(routeFoundBy(this.mapping, "/api/items")).isEqualTo("api");
		assertThat(routeFoundBy(this.mapping, "/admin/users")).isEqualTo("admin");
		assertThat(routeFoundBy(this.mapping, "/other")).isEqualTo("catch-all");
	}

	@Test
	void noMatchingRouteMeansNoHandler() {
		define(route("api", 1, path("/api")));

		ServerWebExchange exchange = exchange("/other");
		StepVerifier.create(this.mapping.getHandler(exchange)).verifyComplete();
		assertThat(exchange.getAttributes()).doesNotContainKey(ServerWebExchangeUtils.GATEWAY_ROUTE_ATTR);
	}

	@Test
	void aPredicateThatThrowsDoesNotMatchAndTheNextRouteIsTried() {
		define(route("broken", 1, (e) -> {
			throw new IllegalStateException("broken predicate");
		}), route("next", 2, (e) -> true));

		assertThat(routeFoundBy(this.mapping, "/")).isEqualTo("next").isEqualTo(routeFoundBy(this.gateways, "/"));
	}

	@Test
	void predicatesLearnWhichRouteTheyAreTestedFor() {
		List<Object> seen = new CopyOnWriteArrayList<>();
		Predicate<ServerWebExchange> recording = (e) -> {
			seen.add(e.getAttribute(ServerWebExchangeUtils.GATEWAY_PREDICATE_ROUTE_ATTR));
			return false;
		};
		define(route("first", 1, recording), route("second", 2, recording), route("last", 3, (e) -> true));

		assertThat(routeFoundBy(this.mapping, "/")).isEqualTo("last");
		assertThat(seen).containsExactly("first", "second");
	}

	@Test
	void predicatesThatAnswerLaterAreWaitedFor() {
		define(asyncRoute("late-no", 1, Mono.just(false).delayElement(Duration.ofMillis(20))),
				asyncRoute("late-nothing", 2, Mono.<Boolean>empty().delaySubscription(Duration.ofMillis(20))),
				route("sync-no", 3, (e) -> false), asyncRoute("late-yes", 4,
						Flux.just(true, false).delayElements(Duration.ofMillis(20))),
				route("catch-all", 5, (e) -> true));

		assertThat(routeFoundBy(this.mapping, "/")).isEqualTo("late-yes").isEqualTo(routeFoundBy(this.gateways, "/"));
	}

	@Test
	void aPredicateThatFailsCountsAsNoMatchAsWithTheGateway() {
		defineAfterTwoFailingPredicates(route("catch-all", 3, (e) -> true));

		assertThat(routeFoundBy(this.mapping, "/")).isEqualTo("catch-all").isEqualTo(routeFoundBy(this.gateways, "/"));
	}

	@Test
	void whenOnlyFailuresAnswerTheLookupFailsWithThemAsWithTheGateway() {
		defineAfterTwoFailingPredicates(route("api", 3, path("/api")));

		for (RoutePredicateHandlerMapping either : List.of(this.mapping, this.gateways)) {
			StepVerifier.create(either.getHandler(exchange("/")))
				.consumeErrorWith((failure) -> assertThat(Exceptions.unwrapMultiple(failure))
					.extracting(Throwable::getMessage)
					.containsExactly("at once", "later"))
				.verify(Duration.ofSeconds(5));
		}
	}

	@Test
	void routesAddedLaterAreFoundOnceTheGatewaysCacheIsRenewed() {
		define(route("catch-all", 9, (e) -> true));
		assertThat(routeFoundBy(this.mapping, "/new")).isEqualTo("catch-all");

		this.defined.add(route("new", 1, path("/new")));
		assertThat(routeFoundBy(this.mapping, "/new")).as("the gateway's cache still has the old routes")
			.isEqualTo("catch-all");

		this.cache.onApplicationEvent(new RefreshRoutesEvent(this));
		assertThat(routeFoundBy(this.mapping, "/new")).isEqualTo("new");
		assertThat(routeFoundBy(this.mapping, "/")).isEqualTo("catch-all");
	}

	@Test
	void lookupsReadTheListNotTheGatewaysCache() {
		AtomicInteger reads = new AtomicInteger();
		CachingRouteLocator counted = new CachingRouteLocator(() -> Flux.just(route("catch-all", 1, (e) -> true))) {
			@Override
			public Flux<Route> getRoutes() {
				return super.getRoutes().doOnSubscribe((subscription) -> reads.incrementAndGet());
			}
		};
		RouteListHandlerMapping listed = mapping(counted);
		counted.setApplicationEventPublisher((event) -> {
			if (event instanceof RefreshRoutesResultEvent result) {
				listed.onApplicationEvent(result);
			}
		});
		counted.onApplicationEvent(new RefreshRoutesEvent(this));
		int readsForTheList = reads.get();

		for (int i = 0; i < 3; i++) {
			assertThat(routeFoundBy(listed, "/")).isEqualTo("catch-all");
		}
		assertThat(readsForTheList).isOne();
		assertThat(reads).hasValue(readsForTheList);
	}

	@Test
	void beforeTheFirstListTheGatewaysLookupRuns() {
		CachingRouteLocator unrefreshed = new CachingRouteLocator(
				() -> Flux.just(route("api", 1, path("/api")), route("catch-all", 2, (e) -> true)));

		RouteListHandlerMapping fresh = mapping(unrefreshed);

		assertThat(routeFoundBy(fresh, "/api")).isEqualTo("api");
		assertThat(routeFoundBy(fresh, "/")).isEqualTo("catch-all");
	}

	@Test
	void aLocatorThatDoesNotCacheIsAskedOnEveryRequest() {
		List<Route> live = new CopyOnWriteArrayList<>(List.of(route("catch-all", 9, (e) -> true)));
		RouteLocator uncached = () -> Flux.fromIterable(live);
		RouteListHandlerMapping direct = mapping(uncached);
		direct.onApplicationEvent(new RefreshRoutesResultEvent(uncached));

		live.add(0, route("new", 1, path("/new")));

		assertThat(routeFoundBy(direct, "/new")).isEqualTo("new");
	}

	private void define(Route... routes) {
		this.defined.clear();
		this.defined.addAll(List.of(routes));
		this.cache.onApplicationEvent(new RefreshRoutesEvent(this));
	}

	/** Routes whose predicates fail, at once ("at once") and later ("later"), then the given route. */
	private void defineAfterTwoFailingPredicates(Route last) {
		define(asyncRoute("failing", 1, Mono.error(new IllegalStateException("at once"))),
				asyncRoute("failing-later", 2, Mono.<Boolean>error(new IllegalStateException("later"))
					.delaySubscription(Duration.ofMillis(20))),
				last);
	}

	private static RouteListHandlerMapping mapping(RouteLocator routes) {
		return new RouteListHandlerMapping(new FilteringWebHandler(List.of(), false), routes,
				new GlobalCorsProperties(), new MockEnvironment());
	}

	private static String routeFoundBy(RoutePredicateHandlerMapping mapping, String path) {
		ServerWebExchange exchange = exchange(path);
		StepVerifier.create(mapping.getHandler(exchange)).expectNextCount(1).expectComplete().verify(Duration.ofSeconds(5));
		Route route = exchange.getAttribute(ServerWebExchangeUtils.GATEWAY_ROUTE_ATTR);
		assertThat(route).isNotNull();
		return route.getId();
	}

	private static MockServerWebExchange exchange(String path) {
		return MockServerWebExchange.from(MockServerHttpRequest.get(path));
	}

	private static Predicate<ServerWebExchange> path(String prefix) {
		return (exchange) -> exchange.getRequest().getPath().value().startsWith(prefix);
	}

	private static Route route(String id, int order, Predicate<ServerWebExchange> predicate) {
		return Route.async().id(id).order(order).uri("http://127.0.0.1:9").predicate(predicate).build();
	}

	private static Route asyncRoute(String id, int order, Publisher<Boolean> answer) {
		AsyncPredicate<ServerWebExchange> predicate = (exchange) -> answer;
		return Route.async().id(id).order(order).uri("http://127.0.0.1:9").asyncPredicate(predicate).build();
	}

}
