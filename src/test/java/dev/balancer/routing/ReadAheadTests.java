package dev.balancer.routing;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

import org.junit.jupiter.api.Test;
import reactor.core.publisher.BaseSubscriber;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Sinks;
import reactor.test.StepVerifier;

import static org.assertj.core.api.Assertions.assertThat;

/** {@link ReadAhead} reads its source before its subscriber comes, and no faster than the subscriber asks after. */
class ReadAheadTests {

	private final List<Integer> discarded = new ArrayList<>();

	@Test
	void whatCameBeforeTheSubscriberAndTheEndReachIt() {
		ReadAhead<Integer> readAhead = ReadAhead.of(Flux.just(1, 2, 3), 16, this.discarded::add);

		StepVerifier.create(readAhead).expectNext(1, 2, 3).verifyComplete();
		assertThat(this.discarded).isEmpty();
	}

	/** Reactor's publish() drops what it kept when its source fails before anyone subscribed. */
	@Test
	void aFailureComesAfterWhatCameBeforeIt() {
		ReadAhead<Integer> readAhead = ReadAhead.of(
				Flux.just(1, 2).concatWith(Flux.error(new IllegalStateException("closed"))), 16, this.discarded::add);

		StepVerifier.create(readAhead).expectNext(1, 2).verifyErrorMessage("closed");
	}

	@Test
	void readsAtMostTheAheadBeforeTheSubscriberThenAsFastAsItAsks() {
		AtomicLong asked = new AtomicLong();
		Sinks.Many<Integer> source = Sinks.many().unicast().onBackpressureBuffer();
		ReadAhead<Integer> readAhead = ReadAhead.of(source.asFlux().doOnRequest(asked::addAndGet), 4,
				this.discarded::add);
		assertThat(asked).hasValue(4);

		StepVerifier.create(readAhead, 0)
			.then(() -> {
				for (int i = 1; i <= 4; i++) {
					source.tryEmitNext(i);
				}
			})
			.then(() -> assertThat(asked).as("nothing delivered yet").hasValue(4))
			.thenRequest(2)
			.expectNext(1, 2)
			.then(() -> assertThat(asked).as("two gone on: two more").hasValue(6))
			.thenRequest(10)
			.expectNext(3, 4)
			.then(() -> source.tryEmitComplete())
			.verifyComplete();
	}

	@Test
	void aSubscriberThatNeverComesIsCancelledForAndWhatWasKeptIsFreed() {
		Sinks.Many<Integer> source = Sinks.many().unicast().onBackpressureBuffer();
		ReadAhead<Integer> readAhead = ReadAhead.of(source.asFlux(), 16, this.discarded::add);
		source.tryEmitNext(1);
		source.tryEmitNext(2);

		readAhead.cancel();
		source.tryEmitNext(3);

		assertThat(this.discarded).containsExactly(1, 2);
		assertThat(source.currentSubscriberCount()).as("the source, no longer read").isZero();
	}

	/** A WebSocket session's messages, whose cancel would close it without a code: read on, and freed. */
	@Test
	void oneThatOutlastsACancelReadsItsSourceToTheEndAndFreesWhatComes() {
		Sinks.Many<Integer> source = Sinks.many().unicast().onBackpressureBuffer();
		ReadAhead<Integer> readAhead = ReadAhead.outlastingCancel(source.asFlux(), 2, this.discarded::add);
		source.tryEmitNext(1);

		StepVerifier.create(readAhead).expectNext(1).thenCancel().verify();
		for (int i = 2; i <= 5; i++) {
			source.tryEmitNext(i); // more than it read ahead: read on all the same
		}

		assertThat(this.discarded).containsExactly(2, 3, 4, 5);
		assertThat(source.currentSubscriberCount()).as("the source, still read").isOne();
	}

	/** Made to outlast a cancel once its subscriber is there, as a backend's messages to a client: read on, freed. */
	@Test
	void oneMadeToOutlastACancelLaterReadsItsSourceOnAfterIt() {
		Sinks.Many<Integer> source = Sinks.many().unicast().onBackpressureBuffer();
		ReadAhead<Integer> readAhead = ReadAhead.of(source.asFlux(), 2, this.discarded::add);
		source.tryEmitNext(1);

		StepVerifier.create(readAhead.outlastCancel()).expectNext(1).thenCancel().verify();
		source.tryEmitNext(2);
		source.tryEmitNext(3);

		assertThat(this.discarded).containsExactly(2, 3);
		assertThat(source.currentSubscriberCount()).as("the source, still read").isOne();
	}

	@Test
	void aSubscriberThatCancelsWithinOnNextGetsNoMoreAndTheRestIsFreed() {
		ReadAhead<Integer> readAhead = ReadAhead.of(Flux.just(1, 2, 3), 16, this.discarded::add);
		List<Integer> received = new ArrayList<>();

		readAhead.subscribe(new BaseSubscriber<Integer>() {

			@Override
			protected void hookOnNext(Integer value) {
				received.add(value);
				cancel();
			}

		});

		assertThat(received).containsExactly(1);
		assertThat(this.discarded).containsExactly(2, 3);
	}

	@Test
	void aSecondSubscriberIsRefused() {
		ReadAhead<Integer> readAhead = ReadAhead.of(Flux.just(1), 16, this.discarded::add);
		StepVerifier.create(readAhead).expectNext(1).verifyComplete();

		StepVerifier.create(readAhead).verifyError(IllegalStateException.class);
	}

}
