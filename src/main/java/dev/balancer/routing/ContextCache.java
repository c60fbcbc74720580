package dev.balancer.routing;

import java.util.function.Function;

import reactor.core.publisher.Mono;

/**
 * Keeps a request's Reactor context close to the operators that ask for it.
 * <p>
 * An operator that needs the context (a timer, a cancelled subscription that discards, a client connection
 * being set up) asks its subscriber, which asks its own, down the whole chain of a proxied request: the
 * server, WebFlux, the gateway's filters, each of them several operators deep. Those walks, 13 subscribers on
 * average and up to 37, each step an interface call, were 6.3-6.9% of the profile; with the cache in the
 * failover and response-timeout filters, 4.7%. A context write stores the context once, where it is
 * subscribed, and answers for everything above it; Reactor has no operator for just that, so an identity
 * write does it.
 */
final class ContextCache {

	private ContextCache() {
	}

	/** The given {@code Mono} with the context its subscriber gives it stored, so that walks end here. */
	static <T> Mono<T> at(Mono<T> mono) {
		return mono.contextWrite(Function.identity());
	}

}
