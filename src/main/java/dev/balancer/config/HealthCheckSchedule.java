package dev.balancer.config;

import reactor.core.publisher.Mono;

import dev.balancer.health.ActiveHealthChecker;

import org.springframework.scheduling.annotation.Scheduled;

/**
 * Runs the active health check at start-up and then every {@code balancer.health-check.interval}. The next
 * round starts one interval after the previous one finished (Spring waits for the returned {@code Mono}), so
 * rounds never overlap even when probes hang until their timeout.
 */
class HealthCheckSchedule {

	private final ActiveHealthChecker checker;

	HealthCheckSchedule(ActiveHealthChecker checker) {
		this.checker = checker;
	}

	// The interval is read from the checker bean, so balancer.health-check.interval is bound, validated and
	// defaulted in one place (BalancerProperties).
	@Scheduled(initialDelay = 0, fixedDelayString = "#{@activeHealthChecker.interval()}")
	Mono<Void> checkAll() {
		return this.checker.checkAll();
	}

}
