package dev.balancer.routing;

import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;

import reactor.core.Disposable;
import reactor.core.Disposables;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.publisher.MonoSink;
import reactor.core.scheduler.Scheduler;

import org.springframework.core.io.buffer.DataBuffer;

/**
 * The timers of one attempt whose request has a body, which the balancer streams to the backend as the client
 * sends it. The time an upload takes belongs to neither timeout: a 100 MB upload at 1 MB/s took 100 s and got a
 * 504 from the 30 s response timeout, which also counted it against a healthy backend. As nginx, HAProxy and Envoy
 * do, only silence is timed, and whoever keeps silent is the one who runs out of time:
 * <ul>
 * <li>the backend ({@code balancer.timeouts.response}), from the last body bytes that went through: once the
 * body is complete, while the backend has not taken what it was given (the client is not being asked for more),
 * and before the body is asked for at all (connecting);</li>
 * <li>the client ({@code balancer.timeouts.client}), from the last body bytes it sent, while it is being asked for
 * more and sends nothing.</li>
 * </ul>
 * Reactor Netty's own server read timeout cannot tell the two apart: it also fires when reading stops because the
 * backend holds the body back.
 */
final class UploadClock {

	/** Who ran out of time. */
	enum Overdue {

		/** The backend: it has not answered, or has not taken the body. */
		BACKEND,

		/** The client: it stopped sending its body. */
		CLIENT

	}

	private final long responseNanos;

	private final long clientNanos;

	/** The longest a check may wait: a new wait that begins after a check ends no earlier than this after it. */
	private final long checkNanos;

	private final LongSupplier nanoTime;

	/** Body buffers asked for and not yet received: while there are some, the wait is on the client. */
	private final AtomicLong unmetDemand = new AtomicLong();

	private volatile long lastProgress;

	private volatile boolean complete;

	UploadClock(Duration response, Duration client, LongSupplier nanoTime) {
		this.responseNanos = response.toNanos();
		this.clientNanos = client.toNanos();
		this.checkNanos = Math.min(this.responseNanos, this.clientNanos);
		this.nanoTime = nanoTime;
		this.lastProgress = nanoTime.getAsLong();
	}

	/** The body, watched for progress and for whom it waits on. */
	Flux<DataBuffer> watch(Flux<DataBuffer> body) {
		return body.doOnRequest(this::asked).doOnNext(this::received).doOnComplete(this::completed);
	}

	/** A signal when someone has been silent too long; {@link #overdue()} then says who. */
	Mono<Long> expiry(Scheduler timers) {
		return Mono.create((sink) -> new Check(sink, timers).arm(this.checkNanos));
	}

	/** Who is being waited for: the client while it is asked for body it has not sent, else the backend. */
	Overdue overdue() {
		return (!this.complete && this.unmetDemand.get() > 0) ? Overdue.CLIENT : Overdue.BACKEND;
	}

	/** Nanoseconds left to whoever is being waited for at {@code now}; zero or less when that one is overdue. */
	long nanosLeft(long now) {
		long limit = (overdue() == Overdue.CLIENT) ? this.clientNanos : this.responseNanos;
		return limit - (now - this.lastProgress);
	}

	Duration clientTimeout() {
		return Duration.ofNanos(this.clientNanos);
	}

	private void asked(long n) {
		if (this.unmetDemand.getAndUpdate((unmet) -> (unmet + n < 0) ? Long.MAX_VALUE : unmet + n) == 0) {
			// the backend took what it had been given: the client's turn starts now
			this.lastProgress = this.nanoTime.getAsLong();
		}
	}

	private void received(DataBuffer buffer) {
		this.unmetDemand.decrementAndGet();
		this.lastProgress = this.nanoTime.getAsLong();
	}

	private void completed() {
		this.lastProgress = this.nanoTime.getAsLong();
		this.complete = true;
	}

	/**
	 * Checks when the one waited for would be overdue, or sooner, and again until someone is: progress moves the
	 * deadline without touching the timer. Every wait starts with progress and lasts at least the shorter timeout,
	 * so checks that far apart at most never miss the end of a wait that began between them.
	 */
	private final class Check implements Runnable {

		private final MonoSink<Long> sink;

		private final Scheduler timers;

		private final Disposable.Swap timer = Disposables.swap();

		Check(MonoSink<Long> sink, Scheduler timers) {
			this.sink = sink;
			this.timers = timers;
			sink.onDispose(this.timer);
		}

		void arm(long nanos) {
			this.timer.replace(this.timers.schedule(this, nanos, TimeUnit.NANOSECONDS));
		}

		@Override
		public void run() {
			long left = nanosLeft(UploadClock.this.nanoTime.getAsLong());
			if (left <= 0) {
				this.sink.success(0L);
			}
			else {
				arm(Math.min(left, UploadClock.this.checkNanos));
			}
		}

	}

}
