package dev.balancer.routing;

import java.time.Duration;

import org.junit.jupiter.api.Test;
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
		assertThat(ContextLookups.countedBelow(ContextLookups.asking()))
			.isGreaterThanOrEqualTo(ContextLookups.ASKING_OPERATORS);
		assertThat(ContextLookups.countedBelow(ContextCache.at(ContextLookups.asking()))).isEqualTo(1);
	}

}
