package dev.balancer.routing;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;

import org.reactivestreams.Subscription;
import reactor.core.CoreSubscriber;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Sinks;
import reactor.util.context.Context;

/** Counts how often a chain asks the subscriber below it for its Reactor context. */
final class ContextLookups {

	/** How many operators {@link #asking()} puts above its subscriber, each asking once. */
	static final int ASKING_OPERATORS = 8;

	private ContextLookups() {
	}

	/** A chain of operators that each ask for the context when they are subscribed. */
	static Mono<Void> asking() {
		return Flux.range(0, ASKING_OPERATORS).concatMap((i) -> Mono.deferContextual((context) -> Mono.just(i))).then();
	}

	/** Subscribes to the chain, waits for it to complete and returns how often it asked for the context. */
	static int countedBelow(Mono<Void> chain) {
		Counting subscriber = new Counting();
		chain.subscribe(subscriber);
		subscriber.done.asMono().block(Duration.ofSeconds(5));
		return subscriber.lookups.get();
	}

	private static final class Counting implements CoreSubscriber<Void> {

		final AtomicInteger lookups = new AtomicInteger();

		final Sinks.Empty<Void> done = Sinks.empty();

		@Override
		public Context currentContext() {
			this.lookups.incrementAndGet();
			return Context.of("request", "r-1");
		}

		@Override
		public void onSubscribe(Subscription subscription) {
			subscription.request(Long.MAX_VALUE);
		}

		@Override
		public void onNext(Void next) {
		}

		@Override
		public void onError(Throwable error) {
			this.done.tryEmitError(error);
		}

		@Override
		public void onComplete() {
			this.done.tryEmitEmpty();
		}

	}

}
