package dev.balancer.routing;

import java.time.Duration;

import org.junit.jupiter.api.Test;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.test.StepVerifier;
import reactor.util.context.Context;

import static org.assertj.core.api.Assertions.assertThat;

/** The cache passes the context on unchanged, and spares the subscriber below it the lookups from above. */
class ContextCacheTests {

	@Test
	void operatorsAboveTheCacheSeeTheSubscribersContextUnchanged() {
		Mono<String> asks = Mono.deferContextual((context) -> Mono.just(context.<String>get("request")));

		StepVerifier.create(ContextCache.at(asks).contextWrite(Context.of("request", "r-1")))
			.expectNext("r-1")
			.verifyComplete();
	}

	@Test
	void theSubscriberIsAskedOnceHoweverManyOperatorsAbove() {
		// Eight operators that each need the context when they are subscribed.
		Mono<Long> asking = Flux.range(0, 8)
			.concatMap((i) -> Mono.deferContextual((context) -> Mono.just(context.size())))
			.count();
		CountingSubscriber direct = new CountingSubscriber();
		CountingSubscriber cached = new CountingSubscriber();

		asking.subscribe(direct);
		ContextCache.at(asking).subscribe(cached);

		assertThat(direct.value.asMono().block(Duration.ofSeconds(5))).isEqualTo(8);
		assertThat(cached.value.asMono().block(Duration.ofSeconds(5))).isEqualTo(8);
		assertThat(direct.contextLookups.get()).isGreaterThanOrEqualTo(8);
		assertThat(cached.contextLookups.get()).isEqualTo(1);
	}

}
