package dev.balancer.routing;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import reactor.core.Disposable;
import reactor.core.publisher.BaseSubscriber;
import reactor.test.publisher.TestPublisher;
import reactor.test.scheduler.VirtualTimeScheduler;

import dev.balancer.routing.UploadClock.Overdue;

import org.springframework.core.io.buffer.DataBuffer;
import org.springframework.core.io.buffer.DefaultDataBufferFactory;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Who an upload waits on and for how long, on virtual time. Through the real gateway:
 * {@code UploadFaultsIntegrationTests}.
 */
class UploadClockTests {

	static final Duration RESPONSE = Duration.ofSeconds(1);

	static final Duration CLIENT = Duration.ofSeconds(3);

	final VirtualTimeScheduler time = VirtualTimeScheduler.create();

	final UploadClock clock = new UploadClock(RESPONSE, CLIENT, () -> this.time.now(TimeUnit.NANOSECONDS));

	final TestPublisher<DataBuffer> client = TestPublisher.create();

	/** Stands in for the routing filter sending the body on: it asks for buffers when the backend takes them. */
	final BaseSubscriber<DataBuffer> backend = new BaseSubscriber<>() {
		@Override
		protected void hookOnSubscribe(org.reactivestreams.Subscription subscription) {
			// asks only when a test says so
		}
	};

	@AfterEach
	void dispose() {
		this.time.dispose();
	}

	@Test
	void beforeTheBodyIsAskedForTheBackendIsWaitedOn() {
		this.clock.watch(this.client.flux()).subscribe(this.backend);
		advance(400);

		assertThat(this.clock.overdue()).isEqualTo(Overdue.BACKEND);
		assertThat(left()).isEqualTo(Duration.ofMillis(600));
	}

	@Test
	void whileAskedForBodyItHasNotSentTheClientIsWaitedOnFromTheAsking() {
		this.clock.watch(this.client.flux()).subscribe(this.backend);
		advance(400);
		this.backend.request(2);
		advance(500);

		assertThat(this.clock.overdue()).isEqualTo(Overdue.CLIENT);
		assertThat(left()).isEqualTo(CLIENT.minusMillis(500));
	}

	@Test
	void eachBufferTheClientSendsStartsItsTimeAgain() {
		this.clock.watch(this.client.flux()).subscribe(this.backend);
		this.backend.request(2);
		advance(2500);
		this.client.next(buffer());
		advance(100);

		assertThat(this.clock.overdue()).isEqualTo(Overdue.CLIENT);
		assertThat(left()).isEqualTo(CLIENT.minusMillis(100));
	}

	@Test
	void onceTheBackendHasTakenNothingMoreItIsWaitedOnFromTheLastBuffer() {
		this.clock.watch(this.client.flux()).subscribe(this.backend);
		this.backend.request(1);
		advance(2500);
		this.client.next(buffer());
		advance(300);

		assertThat(this.clock.overdue()).isEqualTo(Overdue.BACKEND);
		assertThat(left()).isEqualTo(RESPONSE.minusMillis(300));
	}

	@Test
	void onceTheBodyIsCompleteTheBackendIsWaitedOnFromItsEnd() {
		this.clock.watch(this.client.flux()).subscribe(this.backend);
		this.backend.request(10);
		advance(2000);
		this.client.next(buffer());
		this.client.complete();
		advance(200);

		assertThat(this.clock.overdue()).isEqualTo(Overdue.BACKEND);
		assertThat(left()).isEqualTo(RESPONSE.minusMillis(200));
	}

	@Test
	void aSlowClientThatKeepsSendingNeverExpires() {
		AtomicBoolean expired = expiry();
		this.clock.watch(this.client.flux()).subscribe(this.backend);
		this.backend.request(Long.MAX_VALUE);
		for (int i = 0; i < 20; i++) { // 50 s of upload, a buffer every 2.5 s
			advance(2500);
			this.client.next(buffer());
		}
		this.client.complete();
		advance(900);

		assertThat(expired).isFalse();
		advance(100);
		assertThat(expired).isTrue();
		assertThat(this.clock.overdue()).isEqualTo(Overdue.BACKEND);
	}

	@Test
	void aClientThatStopsSendingExpiresAfterTheClientTimeoutNotTheResponseTimeout() {
		AtomicBoolean expired = expiry();
		this.clock.watch(this.client.flux()).subscribe(this.backend);
		this.backend.request(1);
		advance(2999);

		assertThat(expired).isFalse();
		advance(1);
		assertThat(expired).isTrue();
		assertThat(this.clock.overdue()).isEqualTo(Overdue.CLIENT);
	}

	@Test
	void aShorterWaitThatBeginsBetweenTwoChecksIsNotMissed() {
		// a short client timeout: the check armed for the backend's 10 s must not run past the client's 1 s
		UploadClock shortClient = new UploadClock(Duration.ofSeconds(10), Duration.ofSeconds(1),
				() -> this.time.now(TimeUnit.NANOSECONDS));
		AtomicBoolean expired = new AtomicBoolean();
		shortClient.expiry(this.time).subscribe((signal) -> expired.set(true));
		shortClient.watch(this.client.flux()).subscribe(this.backend);
		advance(500);
		this.backend.request(1);
		advance(999);

		assertThat(expired).isFalse();
		advance(1);
		assertThat(expired).isTrue();
		assertThat(shortClient.overdue()).isEqualTo(Overdue.CLIENT);
	}

	@Test
	void aCancelledExpiryLeavesNoTimerBehind() {
		AtomicInteger reads = new AtomicInteger();
		UploadClock counted = new UploadClock(RESPONSE, CLIENT, () -> {
			reads.incrementAndGet();
			return this.time.now(TimeUnit.NANOSECONDS);
		});
		Disposable expiry = counted.expiry(this.time).subscribe();
		advance(500);
		expiry.dispose();
		int readsWhenCancelled = reads.get();
		advance(5000);

		// a check still armed would have read the clock when it ran
		assertThat(reads).hasValue(readsWhenCancelled);
	}

	private AtomicBoolean expiry() {
		AtomicBoolean expired = new AtomicBoolean();
		this.clock.expiry(this.time).subscribe((signal) -> expired.set(true));
		return expired;
	}

	private void advance(long millis) {
		this.time.advanceTimeBy(Duration.ofMillis(millis));
	}

	private Duration left() {
		return Duration.ofNanos(this.clock.nanosLeft(this.time.now(TimeUnit.NANOSECONDS)));
	}

	private static DataBuffer buffer() {
		return DefaultDataBufferFactory.sharedInstance.wrap("part".getBytes(StandardCharsets.US_ASCII));
	}

}
