package dev.balancer.routing;

import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

import org.jspecify.annotations.Nullable;
import org.reactivestreams.Subscription;
import reactor.core.CoreSubscriber;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Operators;

/**
 * A source read from now, before anyone subscribes: up to {@code ahead} elements are taken and kept, then handed,
 * with the rest and the end, to the one subscriber that comes later, as fast as it asks for them.
 * <p>
 * Written here because Reactor has no operator for it: {@code publish()} drops what it kept when its source fails
 * before the first subscriber, {@code replay()} keeps elements after they are delivered, and a sink reads its
 * source without bound. The backend's side of a WebSocket session needs it ({@link WebSocketProxyFilter}): it
 * must be read from its handshake on, since Reactor Netty drops the messages not yet read when the backend closes,
 * while the client's handshake is still being answered; and then no faster than the client takes them.
 *
 * @param <T> the elements
 */
final class ReadAhead<T> extends Flux<T> implements CoreSubscriber<T>, Subscription {

	private final int ahead;

	private final Consumer<? super T> discard;

	private final Queue<T> kept = new ConcurrentLinkedQueue<>();

	private final AtomicLong requested = new AtomicLong();

	private final AtomicInteger draining = new AtomicInteger();

	private volatile @Nullable Subscription upstream;

	private volatile @Nullable CoreSubscriber<? super T> subscriber;

	private volatile boolean done;

	private volatile @Nullable Throwable failure;

	private volatile boolean cancelled;

	/** Delivered since more were last asked of the source. */
	private int delivered;

	/** Whether a cancel leaves the source to run to its end, its elements discarded, rather than cancelling it. */
	private volatile boolean outlastsCancel;

	private ReadAhead(int ahead, Consumer<? super T> discard, boolean outlastsCancel) {
		this.ahead = ahead;
		this.discard = discard;
		this.outlastsCancel = outlastsCancel;
	}

	/**
	 * Subscribes to the source now, taking up to {@code ahead} elements before the subscriber comes.
	 * @param discard what frees an element no one will get (the subscriber cancelled, or never came)
	 */
	static <T> ReadAhead<T> of(Flux<T> source, int ahead, Consumer<? super T> discard) {
		ReadAhead<T> readAhead = new ReadAhead<>(ahead, discard, false);
		source.subscribe(readAhead);
		return readAhead;
	}

	/**
	 * The same, for a source that must not be cancelled: when the subscriber cancels, the source is read on to its
	 * end, what comes discarded. (Cancelling a WebSocket session's messages closes it, with no close code, where
	 * the balancer has a code to close it with.)
	 */
	static <T> ReadAhead<T> outlastingCancel(Flux<T> source, int ahead, Consumer<? super T> discard) {
		ReadAhead<T> readAhead = new ReadAhead<>(ahead, discard, true);
		source.subscribe(readAhead);
		return readAhead;
	}

	/**
	 * Makes a cancel from now on leave the source to run to its end, what comes discarded, as for
	 * {@link #outlastingCancel}: for a source whose cancel is needed until its subscriber comes, and not after.
	 */
	ReadAhead<T> outlastCancel() {
		this.outlastsCancel = true;
		return this;
	}

	@Override
	public void subscribe(CoreSubscriber<? super T> actual) {
		if (this.subscriber != null || this.cancelled) {
			Operators.error(actual, new IllegalStateException("ReadAhead allows one subscriber"));
			return;
		}
		this.subscriber = actual;
		actual.onSubscribe(this);
		drain();
	}

	@Override
	public void onSubscribe(Subscription subscription) {
		if (Operators.validate(this.upstream, subscription)) {
			this.upstream = subscription;
			subscription.request(this.ahead);
		}
	}

	@Override
	public void onNext(T element) {
		if (this.cancelled) {
			this.discard.accept(element);
			return;
		}
		this.kept.offer(element);
		drain();
	}

	@Override
	public void onError(Throwable error) {
		this.failure = error;
		this.done = true;
		drain();
	}

	@Override
	public void onComplete() {
		this.done = true;
		drain();
	}

	@Override
	public void request(long n) {
		if (Operators.validate(n)) {
			this.requested.getAndUpdate((current) -> Operators.addCap(current, n));
			drain();
		}
	}

	/**
	 * Stops reading the source, or reads it on to its end and discards what comes ({@link #outlastingCancel}), and
	 * frees what was kept; also for a subscriber that will never come.
	 */
	@Override
	public void cancel() {
		this.cancelled = true;
		Subscription source = this.upstream;
		if (source != null) {
			if (this.outlastsCancel) {
				source.request(Long.MAX_VALUE);
			}
			else {
				source.cancel();
			}
		}
		drain();
	}

	private void drain() {
		if (this.draining.getAndIncrement() != 0) {
			return;
		}
		int missed = 1;
		do {
			if (this.cancelled) {
				for (T element = this.kept.poll(); element != null; element = this.kept.poll()) {
					this.discard.accept(element);
				}
			}
			else {
				CoreSubscriber<? super T> actual = this.subscriber;
				if (actual != null) {
					deliver(actual);
				}
			}
			missed = this.draining.addAndGet(-missed);
		}
		while (missed != 0);
	}

	private void deliver(CoreSubscriber<? super T> actual) {
		long emitted = 0;
		long wanted = this.requested.get();
		while (emitted != wanted && !this.cancelled) { // a subscriber may cancel from within onNext
			T element = this.kept.poll();
			if (element == null) {
				break;
			}
			actual.onNext(element);
			emitted++;
			// ask the source for more once half of what was read ahead has gone on
			if (++this.delivered >= Math.max(1, this.ahead / 2)) {
				Subscription source = this.upstream;
				if (source != null) {
					source.request(this.delivered);
				}
				this.delivered = 0;
			}
		}
		if (emitted != 0 && wanted != Long.MAX_VALUE) {
			this.requested.addAndGet(-emitted);
		}
		if (this.done && this.kept.isEmpty() && !this.cancelled) {
			Throwable error = this.failure;
			this.cancelled = true; // ends here: nothing more is delivered
			if (error != null) {
				actual.onError(error);
			}
			else {
				actual.onComplete();
			}
		}
	}

}
