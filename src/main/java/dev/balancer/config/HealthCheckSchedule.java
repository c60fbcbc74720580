package dev.balancer.config;

import java.time.Duration;
import java.util.concurrent.ThreadLocalRandom;

import reactor.core.publisher.Mono;

import dev.balancer.health.ActiveHealthChecker;

import org.springframework.scheduling.annotation.Scheduled;

/**
 * Runs the active health check at start-up and then every {@code balancer.health-check.interval}, plus a
 * random jitter each round so that balancer replicas started together drift apart instead of probing every
 * backend in lockstep. The next round starts one interval after the previous one finished (Spring waits for
 * the returned {@code Mono}), so rounds never overlap even when probes hang until their timeout.
 */
class HealthCheckSchedule {

	private final ActiveHealthChecker checker;

	private final Duration jitter;

	HealthCheckSchedule(ActiveHealthChecker checker, Duration jitter) {
		this.checker = checker;
		this.jitter = jitter;
	}

	// The interval is read from the checker bean, so balancer.health-check.interval is bound, validated and
	// defaulted in one place (BalancerProperties).
	@Scheduled(initialDelay = 0, fixedDelayString = "#{@activeHealthChecker.interval()}")
	Mono<Void> checkAll() {
		long jitterMillis = this.jitter.toMillis();
		if (jitterMillis <= 0) {
			return this.checker.checkAll();
		}
		Duration pause = Duration.ofMillis(ThreadLocalRandom.current().nextLong(jitterMillis + 1));
		return Mono.delay(pause).then(this.checker.checkAll());
	}

}
