package dev.balancer.routing;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;

import io.netty.channel.EventLoopGroup;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import reactor.core.Disposable;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Scheduler;
import reactor.core.scheduler.Schedulers;

import static org.assertj.core.api.Assertions.assertThat;

class EventLoopTimersTests {

	final OneEventLoop loop = new OneEventLoop();

	final EventLoopGroup loops = this.loop.group;

	@AfterEach
	void stop() {
		this.loop.close();
	}

	@Test
	void aTimerSetOnAnEventLoopFiresOnThatLoop() throws Exception {
		CompletableFuture<Thread> loopThread = new CompletableFuture<>();
		CompletableFuture<Thread> firedOn = new CompletableFuture<>();
		this.loops.execute(() -> {
			loopThread.complete(Thread.currentThread());
			EventLoopTimers.current().schedule(() -> firedOn.complete(Thread.currentThread()), 20,
					TimeUnit.MILLISECONDS);
		});

		assertThat(firedOn.get(5, TimeUnit.SECONDS)).isSameAs(loopThread.get());
	}

	@Test
	void eachEventLoopKeepsOneScheduler() throws Exception {
		CompletableFuture<Scheduler[]> twice = new CompletableFuture<>();
		this.loops.execute(
				() -> twice.complete(new Scheduler[] { EventLoopTimers.current(), EventLoopTimers.current() }));

		Scheduler[] schedulers = twice.get(5, TimeUnit.SECONDS);
		assertThat(schedulers[0]).isSameAs(schedulers[1]).isNotSameAs(Schedulers.parallel());
	}

	@Test
	void aCancelledTimerNeverFires() throws Exception {
		AtomicBoolean fired = new AtomicBoolean();
		CompletableFuture<Disposable> timer = new CompletableFuture<>();
		this.loops.execute(() -> timer.complete(
				EventLoopTimers.current().schedule(() -> fired.set(true), 50, TimeUnit.MILLISECONDS)));
		timer.get(5, TimeUnit.SECONDS).dispose();

		// A later timer on the same loop fires, so the loop ran past the cancelled one's deadline.
		CompletableFuture<Void> later = new CompletableFuture<>();
		this.loops.execute(() -> EventLoopTimers.current().schedule(() -> later.complete(null), 200,
				TimeUnit.MILLISECONDS));
		later.get(5, TimeUnit.SECONDS);
		assertThat(fired).isFalse();
	}

	@Test
	void timeoutsOnTheLoopEndAMonoThatNeverAnswers() throws Exception {
		OneEventLoop.Failure failure = this.loop
			.failureOf(() -> Mono.never().timeout(Duration.ofMillis(20), EventLoopTimers.current()));

		assertThat(failure.error()).isInstanceOf(TimeoutException.class);
		assertThat(failure.onTheLoop()).isTrue();
	}

	@Test
	void offTheEventLoopsItIsReactorsParallelScheduler() {
		assertThat(EventLoopTimers.current()).isSameAs(Schedulers.parallel());
	}

}
