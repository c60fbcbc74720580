package dev.balancer.health;

import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;

import org.junit.jupiter.api.Test;

import dev.balancer.support.Concurrently;
import org.junit.jupiter.api.extension.ExtendWith;

import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.cloud.client.ServiceInstance;

import static dev.balancer.support.Instances.backend;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

@ExtendWith(OutputCaptureExtension.class)
class BackendHealthRegistryTests {

	static final Instant NOW = Instant.parse("2026-11-24T12:00:00Z");

	final ServiceInstance one = backend(1);

	final ServiceInstance two = backend(2);

	final ServiceInstance three = backend(3);

	final BackendHealthRegistry registry = new BackendHealthRegistry(List.of(this.one, this.two, this.three),
			Clock.fixed(NOW, ZoneOffset.UTC));

	@Test
	void backendsStartUpAndUnchecked() {
		assertThat(this.registry.healthy()).containsExactly(this.one, this.two, this.three);
		assertThat(this.registry.health(this.one)).isEqualTo(new BackendHealth(true, null, null, null));
	}

	@Test
	void aFailedProbeTakesABackendDownAndASuccessfulOneBringsItBack() {
		this.registry.recordProbe(this.two, ProbeResult.failed("status 503"));

		assertThat(this.registry.health(this.two)).isEqualTo(new BackendHealth(false, NOW, "status 503", null));
		assertThat(this.registry.healthy()).containsExactly(this.one, this.three);

		this.registry.recordProbe(this.two, ProbeResult.healthy());

		assertThat(this.registry.isUp(this.two)).isTrue();
		assertThat(this.registry.health(this.two).lastError()).as("kept for the health view").isEqualTo("status 503");
		assertThat(this.registry.health(this.two).upSince()).as("when slow start begins").isEqualTo(NOW);
		assertThat(this.registry.healthy()).containsExactly(this.one, this.two, this.three);
	}

	@Test
	void aFailedRequestTakesABackendDownAndKeepsItsLastCheck() {
		this.registry.recordProbe(this.one, ProbeResult.healthy());
		this.registry.markDown(this.one, "connection refused");

		assertThat(this.registry.health(this.one)).isEqualTo(new BackendHealth(false, NOW, "connection refused", null));
		assertThat(this.registry.healthy()).containsExactly(this.two, this.three);
	}

	@Test
	void filtersAListWithoutCopyingItWhileAllAreUp() {
		List<ServiceInstance> all = List.of(this.one, this.two, this.three);
		assertThat(this.registry.healthyAmong(all)).isSameAs(all);

		this.registry.markDown(this.three, "connection refused");
		assertThat(this.registry.healthyAmong(all)).containsExactly(this.one, this.two)
			.isSameAs(this.registry.healthy());
		assertThat(this.registry.healthyAmong(List.of(this.three, this.one))).containsExactly(this.one);
	}

	@Test
	void logsEachChangeOfStateOnce(CapturedOutput output) {
		for (int i = 0; i < 3; i++) {
			this.registry.recordProbe(this.one, ProbeResult.failed("connection refused"));
		}
		this.registry.markDown(this.one, "connection refused");
		for (int i = 0; i < 3; i++) {
			this.registry.recordProbe(this.one, ProbeResult.healthy());
		}

		assertThat(occurrences(output.getOut(), "backend http://127.0.0.1:1 DOWN: connection refused")).isEqualTo(1);
		assertThat(occurrences(output.getOut(), "backend http://127.0.0.1:1 UP")).isEqualTo(1);
	}

	@Test
	void withThresholdsAStateChangesOnlyAfterEnoughProbesInARow() {
		BackendHealthRegistry strict = new BackendHealthRegistry(List.of(this.one), Clock.fixed(NOW, ZoneOffset.UTC),
				2, 3);

		strict.recordProbe(this.one, ProbeResult.failed("status 500"));
		strict.recordProbe(this.one, ProbeResult.failed("status 500"));
		assertThat(strict.isUp(this.one)).as("2 failures, fall is 3").isTrue();
		assertThat(strict.health(this.one).lastError()).isEqualTo("status 500");
		strict.recordProbe(this.one, ProbeResult.failed("status 502"));
		assertThat(strict.isUp(this.one)).isFalse();

		strict.recordProbe(this.one, ProbeResult.healthy());
		assertThat(strict.isUp(this.one)).as("1 success, rise is 2").isFalse();
		strict.recordProbe(this.one, ProbeResult.failed("status 500"));
		strict.recordProbe(this.one, ProbeResult.healthy());
		assertThat(strict.isUp(this.one)).as("the failure in between restarted the count").isFalse();
		strict.recordProbe(this.one, ProbeResult.healthy());
		assertThat(strict.isUp(this.one)).isTrue();
	}

	@Test
	void aRefusedRequestTakesABackendDownAtOnceWhateverTheThresholds() {
		BackendHealthRegistry strict = new BackendHealthRegistry(List.of(this.one), Clock.fixed(NOW, ZoneOffset.UTC),
				2, 3);

		strict.markDown(this.one, "connection refused");
		assertThat(strict.isUp(this.one)).isFalse();
		strict.recordProbe(this.one, ProbeResult.healthy());
		strict.recordProbe(this.one, ProbeResult.healthy());
		assertThat(strict.isUp(this.one)).isTrue();
	}

	@Test
	void rejectsABackendItDoesNotKnow() {
		assertThatIllegalArgumentException().isThrownBy(() -> this.registry.markDown(backend(4), "x"))
			.withMessageContaining("http://127.0.0.1:4");
	}

	@Test
	void healthyListMatchesTheStatesAfterConcurrentChanges() throws Exception {
		Concurrently.run(4, (seed) -> {
			for (int i = 0; i < 2000; i++) {
				ServiceInstance backend = List.of(this.one, this.two, this.three).get((i + seed) % 3);
				if ((i + seed) % 2 == 0) {
					this.registry.markDown(backend, "connection refused");
				}
				else {
					this.registry.recordProbe(backend, ProbeResult.healthy());
				}
			}
		});
		List<ServiceInstance> expected = this.registry.backends().stream().filter(this.registry::isUp).toList();
		assertThat(this.registry.healthy()).isEqualTo(expected);
	}

	private static int occurrences(String text, String line) {
		return text.split(java.util.regex.Pattern.quote(line), -1).length - 1;
	}

}
