package dev.balancer.routing;

import java.util.List;

import org.jspecify.annotations.Nullable;
import org.reactivestreams.Publisher;
import reactor.core.Exceptions;
import reactor.core.Fuseable;
import reactor.core.publisher.Mono;

import org.springframework.cloud.gateway.config.GlobalCorsProperties;
import org.springframework.cloud.gateway.event.RefreshRoutesResultEvent;
import org.springframework.cloud.gateway.handler.FilteringWebHandler;
import org.springframework.cloud.gateway.handler.RoutePredicateHandlerMapping;
import org.springframework.cloud.gateway.route.CachingRouteLocator;
import org.springframework.cloud.gateway.route.Route;
import org.springframework.cloud.gateway.route.RouteLocator;
import org.springframework.context.ApplicationListener;
import org.springframework.core.env.Environment;
import org.springframework.web.server.ServerWebExchange;

import static org.springframework.cloud.gateway.support.ServerWebExchangeUtils.GATEWAY_PREDICATE_ROUTE_ATTR;

/**
 * The gateway's route lookup, over a list of the routes taken from the gateway's route cache.
 * <p>
 * The gateway finds a request's route through its cached {@code Flux} of routes: on every request a cache lookup,
 * a replay of the cached signals, a {@code filterWhen} over them and the cancellations after the first match, each
 * step looking up Reactor's context. This mapping keeps the same routes, in the same order, in a list that it renews
 * whenever the gateway's cache is renewed ({@link RefreshRoutesResultEvent}), and tests them as the gateway does:
 * the same attribute names the route under test, a predicate that throws or fails counts as no match, and the first
 * match wins. A predicate that answers at once (the gateway wraps every plain predicate in {@code Mono.just}) is
 * read without subscribing to it; any other is subscribed to. Until the first list is there, or with a route
 * locator that does not cache, the gateway's own lookup runs.
 * <p>
 * Measured: {@code RouteLookupBenchmark} 1.3 against 0.34 µs and 2.2 against 0.77 KB per lookup; in a profile under
 * full load, Reactor's share of the CPU per request fell by about 4 µs of 100 (docs/performance-log.md, ninth round).
 */
public class RouteListHandlerMapping extends RoutePredicateHandlerMapping
		implements ApplicationListener<RefreshRoutesResultEvent> {

	private final RouteLocator routeLocator;

	private volatile @Nullable List<Route> routes;

	public RouteListHandlerMapping(FilteringWebHandler webHandler, RouteLocator routeLocator,
			GlobalCorsProperties globalCorsProperties, Environment environment) {
		super(webHandler, routeLocator, globalCorsProperties, environment);
		this.routeLocator = routeLocator;
	}

	@Override
	public void onApplicationEvent(RefreshRoutesResultEvent event) {
		if (!(this.routeLocator instanceof CachingRouteLocator) || event.getSource() != this.routeLocator) {
			return;
		}
		this.routeLocator.getRoutes()
			.collectList()
			.subscribe((list) -> this.routes = List.copyOf(list), (failure) -> this.routes = null);
	}

	@Override
	protected Mono<Route> lookupRoute(ServerWebExchange exchange) {
		List<Route> current = this.routes;
		return (current != null) ? lookup(current, 0, exchange, null) : super.lookupRoute(exchange);
	}

	/**
	 * The first route from {@code from} on whose predicate matches. A predicate that fails counts as no match, as
	 * in the gateway's {@code filterWhen}: its failure ends the lookup only when no later route matches.
	 */
	private Mono<Route> lookup(List<Route> routes, int from, ServerWebExchange exchange, @Nullable Throwable failed) {
		for (int i = from; i < routes.size(); i++) {
			Route route = routes.get(i);
			exchange.getAttributes().put(GATEWAY_PREDICATE_ROUTE_ATTR, route.getId());
			Publisher<Boolean> matches;
			try {
				matches = route.getPredicate().apply(exchange);
			}
			catch (Exception ex) {
				logger.error("Error applying predicate for route: " + route.getId(), ex);
				continue;
			}
			if (matches instanceof Fuseable.ScalarCallable<?> answered) {
				try {
					if (Boolean.TRUE.equals(answered.call())) {
						return matched(route, exchange);
					}
				}
				catch (Exception ex) {
					failed = withFailure(failed, ex);
				}
				continue;
			}
			int next = i + 1;
			Throwable failedSoFar = failed;
			return Mono.from(matches).defaultIfEmpty(Boolean.FALSE).materialize().flatMap((answer) -> {
				if (answer.isOnError()) {
					return lookup(routes, next, exchange, withFailure(failedSoFar, answer.getThrowable()));
				}
				return Boolean.TRUE.equals(answer.get()) ? matched(route, exchange)
						: lookup(routes, next, exchange, failedSoFar);
			});
		}
		return (failed != null) ? Mono.error(failed) : Mono.empty();
	}

	/** The failures of several predicates together, as Reactor puts them together for the gateway. */
	private static Throwable withFailure(@Nullable Throwable failed, Throwable failure) {
		if (failed == null) {
			return failure;
		}
		if (Exceptions.isMultiple(failed)) {
			failed.addSuppressed(failure);
			return failed;
		}
		return Exceptions.multiple(failed, failure);
	}

	private Mono<Route> matched(Route route, ServerWebExchange exchange) {
		if (logger.isDebugEnabled()) {
			logger.debug("Route matched: " + route.getId());
		}
		try {
			validateRoute(route, exchange);
		}
		catch (RuntimeException ex) {
			return Mono.error(ex);
		}
		return Mono.just(route);
	}

}
