package dev.balancer.config;

import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.Test;
import reactor.core.publisher.Mono;

import dev.balancer.health.ActiveHealthChecker;
import dev.balancer.health.BackendHealthRegistry;
import dev.balancer.health.BackendProbe;
import dev.balancer.health.ProbeResult;

import static dev.balancer.support.Instances.backend;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

class HealthCheckScheduleTests {

	final BackendHealthRegistry registry = new BackendHealthRegistry(List.of(backend(1)), Clock.systemUTC());

	final AtomicInteger probes = new AtomicInteger();

	@Test
	void theFirstRoundStartsAtOnceAndARoundStillRunningMakesTheNextSkip() {
		BackendProbe hanging = (backend) -> {
			this.probes.incrementAndGet();
			return Mono.never();
		};
		HealthCheckSchedule schedule = new HealthCheckSchedule(checker(hanging), Duration.ZERO);

		schedule.startRound();
		schedule.startRound();
		schedule.startRound();

		assertThat(this.probes).as("without jitter a round probes at once: the later two were skipped").hasValue(1);
		assertThat(schedule.isRunning()).isTrue();

		schedule.destroy();
		assertThat(schedule.isRunning()).as("shutting down cancels the round").isFalse();
	}

	@Test
	void laterRoundsStartAfterARandomPauseWithinTheJitter() {
		BackendProbe quick = (backend) -> {
			this.probes.incrementAndGet();
			return Mono.just(ProbeResult.healthy());
		};
		HealthCheckSchedule schedule = new HealthCheckSchedule(checker(quick), Duration.ofMillis(200));

		schedule.startRound();
		await().atMost(Duration.ofSeconds(2)).until(() -> !schedule.isRunning());
		assertThat(this.probes).hasValue(1);

		schedule.startRound();
		await().atMost(Duration.ofSeconds(2)).until(() -> this.probes.get() == 2 && !schedule.isRunning());
		schedule.destroy();
	}

	private ActiveHealthChecker checker(BackendProbe probe) {
		return new ActiveHealthChecker(this.registry, probe, Duration.ofSeconds(20));
	}

}
