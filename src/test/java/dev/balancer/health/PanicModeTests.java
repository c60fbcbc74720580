package dev.balancer.health;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.IntStream;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import dev.balancer.support.Instances;

import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.cloud.client.ServiceInstance;

import static org.assertj.core.api.Assertions.assertThat;

@ExtendWith(OutputCaptureExtension.class)
class PanicModeTests {

	final List<ServiceInstance> all = IntStream.rangeClosed(1, 4).mapToObj(Instances::backend).toList();

	final SimpleMeterRegistry meters = new SimpleMeterRegistry();

	@Test
	void belowTheThresholdSpreadingModeUsesEveryBackend() {
		PanicMode panic = new PanicMode(this.all, 50, true, this.meters);

		assertThat(panic.apply(this.all.subList(0, 2))).as("2 of 4 is not below 50%").hasSize(2);
		assertThat(panic.isPanicking()).isFalse();

		assertThat(panic.apply(this.all.subList(0, 1))).isEqualTo(this.all);
		assertThat(panic.apply(List.of())).isEqualTo(this.all);
		assertThat(panic.isPanicking()).isTrue();
		assertThat(this.meters.get("balancer.panic").gauge().value()).isEqualTo(1);
	}

	@Test
	void healthyOnlyModeKeepsToTheAvailableOnesAndToNoneWhenNoneIs() {
		PanicMode panic = new PanicMode(this.all, 50, false, this.meters);

		assertThat(panic.apply(this.all.subList(0, 1))).containsExactly(this.all.get(0));
		assertThat(panic.apply(List.of())).isEmpty();
		assertThat(panic.isPanicking()).isTrue();
	}

	/**
	 * The gauge and the health component follow the backends available without a request: set by requests alone,
	 * they missed a panic on a service without traffic, and kept one long after the backends were back.
	 */
	@Test
	void panicFollowsTheAvailableBackendsWithoutRequests(CapturedOutput output) {
		List<ServiceInstance> available = new CopyOnWriteArrayList<>(this.all);
		PanicMode panic = new PanicMode(this.all, 50, false, this.meters, () -> List.copyOf(available));
		assertThat(this.meters.get("balancer.panic").gauge().value()).isZero();

		available.clear();

		assertThat(this.meters.get("balancer.panic").gauge().value()).isEqualTo(1);
		assertThat(panic.isPanicking()).isTrue();
		assertThat(output.getOut()).contains("PANIC: 0 of 4 backends available, below 50%: answering 503 until one "
				+ "is available");

		available.addAll(this.all);

		assertThat(panic.isPanicking()).isFalse();
		assertThat(this.meters.get("balancer.panic").gauge().value()).isZero();
		assertThat(output.getOut()).contains("panic over: 4 of 4 backends available");
	}

	@Test
	void entersAndLeavesPanicWithOneLogLineEach(CapturedOutput output) {
		PanicMode panic = new PanicMode(this.all, 50, true, this.meters);
		for (int i = 0; i < 5; i++) {
			panic.apply(this.all.subList(0, 1));
		}
		for (int i = 0; i < 5; i++) {
			panic.apply(this.all);
		}

		assertThat(output.getOut().split("PANIC: 1 of 4 backends available", -1)).hasSize(2);
		assertThat(output.getOut().split("panic over: 4 of 4 backends available", -1)).hasSize(2);
		assertThat(panic.isPanicking()).isFalse();
	}

}
