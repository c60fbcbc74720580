package dev.balancer.config;

import java.time.Duration;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicBoolean;

import org.jspecify.annotations.Nullable;
import reactor.core.Disposable;
import reactor.core.publisher.Mono;

import dev.balancer.health.ActiveHealthChecker;

import org.springframework.beans.factory.DisposableBean;
import org.springframework.context.ApplicationContext;
import org.springframework.context.ApplicationContextAware;
import org.springframework.context.ApplicationListener;
import org.springframework.context.event.ContextClosedEvent;
import org.springframework.scheduling.annotation.Scheduled;

/**
 * Runs the active health check at start-up and then every {@code balancer.health-check.interval}. Each round
 * after the first starts after a random pause of up to {@code balancer.health-check.jitter}, so that balancer
 * replicas started together do not probe every backend in lockstep. A round still running when the next is
 * due (probes can hang until their timeout) makes that one skip, so rounds never overlap.
 * <p>
 * The scheduler thread only starts a round and returns: a pause or a hanging probe never holds it, nor the
 * application's shutdown. Rounds stop when the application starts to close, before the event loops do: a round
 * whose pause ended while the loops were shutting down found them refusing connections, and logged every backend
 * {@code DOWN: IllegalStateException: IoUringIoHandler is shutting down} on the way out (seen in benchmark runs
 * stopped just after a round was due).
 */
class HealthCheckSchedule implements DisposableBean, ApplicationListener<ContextClosedEvent>, ApplicationContextAware {

	private final ActiveHealthChecker checker;

	private final Duration jitter;

	private final AtomicBoolean running = new AtomicBoolean();

	private volatile boolean first = true;

	private volatile boolean closed;

	private @Nullable ApplicationContext context;

	private volatile Disposable round = () -> {
	};

	HealthCheckSchedule(ActiveHealthChecker checker, Duration jitter) {
		this.checker = checker;
		this.jitter = jitter;
	}

	// The interval is read from the checker bean, so balancer.health-check.interval is bound, validated and
	// defaulted in one place (BalancerProperties).
	@Scheduled(initialDelay = 0, fixedRateString = "#{@activeHealthChecker.interval()}")
	void startRound() {
		if (this.closed || !this.running.compareAndSet(false, true)) {
			return;
		}
		Duration pause = this.first ? Duration.ZERO : randomPause();
		this.first = false;
		Mono<Void> round = pause.isZero() ? this.checker.checkAll() : Mono.delay(pause).then(this.checker.checkAll());
		this.round = round.doFinally((signal) -> this.running.set(false)).subscribe();
	}

	boolean isRunning() {
		return this.running.get();
	}

	Duration randomPause() {
		long jitterMillis = this.jitter.toMillis();
		return (jitterMillis <= 0) ? Duration.ZERO
				: Duration.ofMillis(ThreadLocalRandom.current().nextLong(jitterMillis + 1));
	}

	@Override
	public void setApplicationContext(ApplicationContext context) {
		this.context = context;
	}

	/** The application closing, not one of the child contexts Spring Cloud makes (their events reach here too). */
	@Override
	public void onApplicationEvent(ContextClosedEvent event) {
		if (event.getApplicationContext() == this.context) {
			this.closed = true;
			this.round.dispose();
		}
	}

	@Override
	public void destroy() {
		this.closed = true;
		this.round.dispose();
	}

}
