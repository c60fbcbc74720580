package dev.balancer.routing;

import java.util.concurrent.atomic.AtomicInteger;

import org.reactivestreams.Subscription;
import reactor.core.CoreSubscriber;
import reactor.core.publisher.Sinks;
import reactor.util.context.Context;

/** A subscriber that counts how often the chain above asks it for its context, and keeps the last value. */
final class CountingSubscriber implements CoreSubscriber<Long> {

	final AtomicInteger contextLookups = new AtomicInteger();

	final Sinks.One<Long> value = Sinks.one();

	@Override
	public Context currentContext() {
		this.contextLookups.incrementAndGet();
		return Context.of("request", "r-1");
	}

	@Override
	public void onSubscribe(Subscription subscription) {
		subscription.request(Long.MAX_VALUE);
	}

	@Override
	public void onNext(Long next) {
		this.value.tryEmitValue(next);
	}

	@Override
	public void onError(Throwable error) {
		this.value.tryEmitError(error);
	}

	@Override
	public void onComplete() {
	}

}
