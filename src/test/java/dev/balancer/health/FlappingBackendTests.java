package dev.balancer.health;

import java.time.Clock;
import java.time.Duration;
import java.util.List;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import dev.balancer.support.TestBackend;

import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.cloud.client.DefaultServiceInstance;
import org.springframework.cloud.client.ServiceInstance;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A real backend whose health endpoint alternates 500 and 200 on every probe, checked 12 times by the real
 * checker: with rise and fall thresholds of 2 it never changes state (0 transitions logged); with the seed's
 * thresholds of 1 it changes state on every probe (12 transitions).
 */
@ExtendWith(OutputCaptureExtension.class)
class FlappingBackendTests {

	final TestBackend flapping = TestBackend.start("flapping").flapping(true);

	final ServiceInstance instance = new DefaultServiceInstance(this.flapping.url(), "backends", "127.0.0.1",
			this.flapping.port(), false);

	@AfterEach
	void stop() {
		this.flapping.stop();
	}

	@Test
	void thresholdsOfTwoHoldAFlappingBackendSteady(CapturedOutput output) {
		assertThat(transitions(2, output)).isZero();
	}

	@Test
	void thresholdsOfOneFollowEveryFlap(CapturedOutput output) {
		assertThat(transitions(1, output)).isEqualTo(12);
	}

	private int transitions(int threshold, CapturedOutput output) {
		BackendHealthRegistry registry = new BackendHealthRegistry(List.of(this.instance), Clock.systemUTC(),
				threshold, threshold);
		ActiveHealthChecker checker = new ActiveHealthChecker(registry,
				new HttpBackendProbe(TestBackend.HEALTH_PATH, Duration.ofSeconds(1)), Duration.ofSeconds(20));
		for (int round = 0; round < 12; round++) {
			checker.checkAll().block(Duration.ofSeconds(5));
		}
		assertThat(this.flapping.probeCount()).isEqualTo(12);
		String log = output.getOut();
		return count(log, "backend " + this.instance.getInstanceId() + " DOWN")
				+ count(log, "backend " + this.instance.getInstanceId() + " UP");
	}

	private static int count(String text, String line) {
		return text.split(java.util.regex.Pattern.quote(line), -1).length - 1;
	}

}
