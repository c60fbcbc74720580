package dev.balancer.metrics;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

import io.micrometer.core.instrument.MockClock;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.simple.SimpleConfig;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Mono;
import reactor.test.StepVerifier;

import dev.balancer.health.BackendProbe;
import dev.balancer.health.ProbeResult;
import dev.balancer.support.Instances;

import org.springframework.cloud.client.ServiceInstance;

import static org.assertj.core.api.Assertions.assertThat;

/** Each probe is timed under its backend and result, and its result passed on unchanged. */
class TimedBackendProbeTests {

	final ServiceInstance one = Instances.backend(8081);

	final ServiceInstance two = Instances.backend(8082);

	final MockClock clock = new MockClock();

	final SimpleMeterRegistry meters = new SimpleMeterRegistry(SimpleConfig.DEFAULT, this.clock);

	@Test
	void bothTimersOfEveryBackendExistBeforeTheFirstProbe() {
		new TimedBackendProbe((backend) -> Mono.just(ProbeResult.healthy()), List.of(this.one, this.two), this.meters);

		for (ServiceInstance backend : List.of(this.one, this.two)) {
			assertThat(timer(backend, "alive").count()).isZero();
			assertThat(timer(backend, "failed").count()).isZero();
		}
	}

	@Test
	void aProbeThatPassesIsTimedAsAliveUnderItsBackend() {
		TimedBackendProbe probe = new TimedBackendProbe(taking(Duration.ofMillis(40), ProbeResult.healthy()),
				List.of(this.one, this.two), this.meters);

		StepVerifier.create(probe.probe(this.one)).expectNext(ProbeResult.healthy()).verifyComplete();

		assertThat(timer(this.one, "alive").count()).isOne();
		assertThat(timer(this.one, "alive").totalTime(TimeUnit.MILLISECONDS)).isEqualTo(40);
		assertThat(timer(this.one, "failed").count()).isZero();
		assertThat(timer(this.two, "alive").count()).isZero();
	}

	@Test
	void aProbeThatFailsIsTimedAsFailedAndKeepsItsReason() {
		ProbeResult refused = ProbeResult.failed("connection refused");
		TimedBackendProbe probe = new TimedBackendProbe(taking(Duration.ofMillis(3), refused),
				List.of(this.one, this.two), this.meters);

		StepVerifier.create(probe.probe(this.two)).expectNext(refused).verifyComplete();

		assertThat(timer(this.two, "failed").count()).isOne();
		assertThat(timer(this.two, "failed").totalTime(TimeUnit.MILLISECONDS)).isEqualTo(3);
		assertThat(timer(this.two, "alive").count()).isZero();
	}

	@Test
	void eachSubscriptionIsTimedFromItsOwnStart() {
		TimedBackendProbe probe = new TimedBackendProbe(taking(Duration.ofMillis(10), ProbeResult.healthy()),
				List.of(this.one), this.meters);
		Mono<ProbeResult> round = probe.probe(this.one);

		this.clock.add(Duration.ofSeconds(20)); // made once, subscribed at each round
		round.block();
		round.block();

		assertThat(timer(this.one, "alive").count()).isEqualTo(2);
		assertThat(timer(this.one, "alive").totalTime(TimeUnit.MILLISECONDS)).isEqualTo(20);
	}

	/** A probe that takes the given time on the registry's clock, then gives the result. */
	private BackendProbe taking(Duration time, ProbeResult result) {
		return (backend) -> Mono.fromSupplier(() -> {
			this.clock.add(time);
			return result;
		});
	}

	private Timer timer(ServiceInstance backend, String result) {
		return this.meters.get(TimedBackendProbe.PROBES)
			.tag("backend", backend.getInstanceId())
			.tag("result", result)
			.timer();
	}

}
