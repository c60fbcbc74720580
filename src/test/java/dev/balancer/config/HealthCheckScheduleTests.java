package dev.balancer.config;

import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.IntStream;

import org.junit.jupiter.api.Test;
import reactor.core.publisher.Mono;

import dev.balancer.health.ActiveHealthChecker;
import dev.balancer.health.BackendHealthRegistry;
import dev.balancer.health.BackendProbe;
import dev.balancer.health.ProbeResult;

import org.springframework.context.event.ContextClosedEvent;
import org.springframework.context.support.GenericApplicationContext;

import static dev.balancer.support.Instances.backend;
import static org.assertj.core.api.Assertions.assertThat;

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
	void laterRoundsWaitARandomPauseFirst() {
		BackendProbe quick = (backend) -> {
			this.probes.incrementAndGet();
			return Mono.just(ProbeResult.healthy());
		};
		HealthCheckSchedule schedule = new HealthCheckSchedule(checker(quick), Duration.ofHours(1));

		schedule.startRound();
		assertThat(this.probes).as("the first round starts at once").hasValue(1);
		assertThat(schedule.isRunning()).isFalse();

		schedule.startRound();
		assertThat(this.probes).as("the second one is pausing first").hasValue(1);
		assertThat(schedule.isRunning()).isTrue();
		schedule.destroy();
		assertThat(schedule.isRunning()).isFalse();
	}

	/** A round due as the loops shut down found them refusing connections, and logged every backend DOWN. */
	@Test
	void noRoundStartsOnceTheApplicationIsClosingAndOneInProgressIsCancelled() {
		BackendProbe hanging = (backend) -> {
			this.probes.incrementAndGet();
			return Mono.never();
		};
		HealthCheckSchedule schedule = new HealthCheckSchedule(checker(hanging), Duration.ZERO);
		try (GenericApplicationContext application = new GenericApplicationContext();
				GenericApplicationContext child = new GenericApplicationContext(application)) {
			schedule.setApplicationContext(application);
			schedule.startRound();

			schedule.onApplicationEvent(new ContextClosedEvent(child));
			assertThat(schedule.isRunning()).as("a child context closing is not the application").isTrue();

			schedule.onApplicationEvent(new ContextClosedEvent(application));
			assertThat(schedule.isRunning()).as("the round in progress is cancelled").isFalse();
			schedule.startRound();
			assertThat(this.probes).as("no round after the application began to close").hasValue(1);
			assertThat(schedule.isRunning()).isFalse();
		}
	}

	@Test
	void pausesAreSpreadOverTheJitter() {
		HealthCheckSchedule schedule = new HealthCheckSchedule(checker((backend) -> Mono.never()),
				Duration.ofMillis(1000));
		List<Duration> pauses = IntStream.range(0, 500).mapToObj((i) -> schedule.randomPause()).toList();

		assertThat(pauses).allSatisfy((pause) -> assertThat(pause).isBetween(Duration.ZERO, Duration.ofSeconds(1)));
		assertThat(pauses.stream().distinct().count()).as("random, not fixed").isGreaterThan(100);
		assertThat(new HealthCheckSchedule(checker((backend) -> Mono.never()), Duration.ZERO).randomPause()).isZero();
	}

	private ActiveHealthChecker checker(BackendProbe probe) {
		return new ActiveHealthChecker(this.registry, probe, Duration.ofSeconds(20));
	}

}
