package dev.balancer.health;

import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Mono;
import reactor.test.StepVerifier;

import dev.balancer.support.TestBackend;

import org.springframework.cloud.client.DefaultServiceInstance;
import org.springframework.cloud.client.ServiceInstance;

import static org.assertj.core.api.Assertions.assertThat;

class ActiveHealthCheckerTests {

	final TestBackend alive = TestBackend.start("alive");

	final TestBackend dead = TestBackend.start("dead");

	final TestBackend hanging = TestBackend.start("hanging").healthDelay(Duration.ofSeconds(3));

	final List<ServiceInstance> backends = List.of(instance(this.alive), instance(this.dead), instance(this.hanging));

	final BackendHealthRegistry registry = new BackendHealthRegistry(this.backends, Clock.systemUTC());

	final ActiveHealthChecker checker = new ActiveHealthChecker(this.registry,
			new HttpBackendProbe(TestBackend.HEALTH_PATH, Duration.ofMillis(500)), Duration.ofSeconds(20));

	@AfterEach
	void stop() {
		List.of(this.alive, this.dead, this.hanging).forEach(TestBackend::stop);
	}

	@Test
	void aRoundRecordsEveryBackendEvenWhenOneHangs() {
		this.dead.stop();

		checkAll(this.checker);

		assertThat(state(this.alive)).isEqualTo("UP");
		assertThat(state(this.dead)).isEqualTo("DOWN");
		assertThat(state(this.hanging)).isEqualTo("DOWN");
		assertThat(this.registry.health(instance(this.hanging)).lastError()).startsWith("no answer within");
		assertThat(this.registry.healthy()).containsExactly(instance(this.alive));
	}

	@Test
	void aStoppedBackendComesBackOnTheNextRoundAfterItRestarts() {
		this.dead.stop();
		checkAll(this.checker);
		assertThat(state(this.dead)).isEqualTo("DOWN");

		this.dead.restart();
		checkAll(this.checker);
		assertThat(state(this.dead)).isEqualTo("UP");
	}

	@Test
	void probesEveryBackendAtTheSameTime() {
		AtomicInteger inFlight = new AtomicInteger();
		AtomicInteger mostInFlight = new AtomicInteger();
		BackendProbe slowProbe = (backend) -> Mono.fromRunnable(() -> mostInFlight.accumulateAndGet(
				inFlight.incrementAndGet(), Math::max))
			.then(Mono.delay(Duration.ofMillis(100)))
			.doFinally((signal) -> inFlight.decrementAndGet())
			.thenReturn(ProbeResult.healthy());

		checkAll(new ActiveHealthChecker(this.registry, slowProbe, Duration.ofSeconds(20)));

		assertThat(mostInFlight.get()).isEqualTo(this.backends.size());
	}

	private static void checkAll(ActiveHealthChecker checker) {
		StepVerifier.create(checker.checkAll()).expectComplete().verify(Duration.ofSeconds(5));
	}

	private String state(TestBackend backend) {
		return this.registry.health(instance(backend)).state();
	}

	private static ServiceInstance instance(TestBackend backend) {
		return new DefaultServiceInstance(backend.url(), "backends", "127.0.0.1", backend.port(), false);
	}

}
