package dev.balancer.health;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.SplittableRandom;

import org.junit.jupiter.api.Test;

import org.springframework.cloud.client.ServiceInstance;
import org.springframework.cloud.loadbalancer.support.ServiceInstanceListSuppliers;

import static dev.balancer.support.Instances.backend;
import static org.assertj.core.api.Assertions.assertThat;

class SlowStartInstanceListSupplierTests {

	static final Instant RECOVERED = Instant.parse("2026-11-24T12:00:00Z");

	final ServiceInstance steady = backend(1);

	final ServiceInstance recovering = backend(2);

	final List<ServiceInstance> both = List.of(this.steady, this.recovering);

	final BackendHealthRegistry registry = new BackendHealthRegistry(this.both, Clock.fixed(RECOVERED, ZoneOffset.UTC));

	@Test
	void passesTheListThroughWhileNothingRampsUp() {
		assertThat(supplier(RECOVERED).admit(this.both)).isSameAs(this.both);
	}

	@Test
	void aBackendThatJustCameBackGetsNoTrafficYet() {
		recover();

		assertThat(admittedShare(RECOVERED)).isZero();
	}

	@Test
	void itsShareGrowsLinearlyOverTheWindow() {
		recover();

		assertThat(admittedShare(RECOVERED.plusSeconds(25))).isBetween(0.22, 0.28);
		assertThat(admittedShare(RECOVERED.plusSeconds(50))).isBetween(0.47, 0.53);
		assertThat(admittedShare(RECOVERED.plusSeconds(75))).isBetween(0.72, 0.78);
		assertThat(admittedShare(RECOVERED.plusSeconds(100))).isEqualTo(1.0);
	}

	@Test
	void neverLeavesNoCandidate() {
		recover();

		assertThat(supplier(RECOVERED).admit(List.of(this.recovering))).containsExactly(this.recovering);
	}

	private void recover() {
		this.registry.markDown(this.recovering, "connection refused");
		this.registry.recordProbe(this.recovering, ProbeResult.healthy());
	}

	private double admittedShare(Instant now) {
		SlowStartInstanceListSupplier supplier = supplier(now);
		int admitted = 0;
		for (int i = 0; i < 4_000; i++) {
			List<ServiceInstance> offered = supplier.admit(this.both);
			assertThat(offered).contains(this.steady);
			admitted += offered.contains(this.recovering) ? 1 : 0;
		}
		return admitted / 4_000.0;
	}

	private SlowStartInstanceListSupplier supplier(Instant now) {
		SplittableRandom random = new SplittableRandom(7);
		return new SlowStartInstanceListSupplier(ServiceInstanceListSuppliers.from("backends", this.steady, this.recovering),
				this.registry, Duration.ofSeconds(100), Clock.fixed(now, ZoneOffset.UTC), () -> random);
	}

}
