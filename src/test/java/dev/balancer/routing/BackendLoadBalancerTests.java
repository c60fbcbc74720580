package dev.balancer.routing;

import java.time.Clock;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import reactor.test.StepVerifier;

import dev.balancer.health.BackendHealthRegistry;
import dev.balancer.health.HealthyInstanceListSupplier;
import dev.balancer.health.ProbeResult;
import dev.balancer.support.Instances;

import org.springframework.cloud.client.ServiceInstance;
import org.springframework.cloud.client.loadbalancer.DefaultRequest;
import org.springframework.cloud.client.loadbalancer.Response;
import org.springframework.cloud.loadbalancer.support.ServiceInstanceListSuppliers;

import static dev.balancer.support.Instances.backend;
import static org.assertj.core.api.Assertions.assertThat;

class BackendLoadBalancerTests {

	final ServiceInstance one = backend(1);

	final ServiceInstance two = backend(2);

	final ServiceInstance three = backend(3);

	final BackendHealthRegistry health = new BackendHealthRegistry(List.of(this.one, this.two, this.three),
			Clock.systemUTC());

	final BackendLoadBalancer balancer = new BackendLoadBalancer(new HealthyInstanceListSupplier(
			ServiceInstanceListSuppliers.from(Backends.SERVICE_ID, this.one, this.two, this.three), this.health),
			new RoundRobinStrategy());

	@Test
	void rotatesOverHealthyBackends() {
		assertThat(picks(6)).containsExactly(this.one, this.two, this.three, this.one, this.two, this.three);
	}

	@Test
	void skipsAnUnhealthyBackendUntilItRecovers() {
		this.health.markDown(this.two, "connection refused");
		assertThat(picks(4)).containsExactly(this.one, this.three, this.one, this.three);

		this.health.recordProbe(this.two, ProbeResult.healthy());
		assertThat(picks(6)).containsOnly(this.one, this.two, this.three).contains(this.two);
	}

	@Test
	void retryNeverPicksATriedBackendWhileAnUntriedOneIsHealthy() {
		for (int request = 0; request < 30; request++) {
			Map<String, Object> exchange = new HashMap<>();
			ServiceInstance first = pick(exchange);
			ServiceInstance second = pick(exchange);
			ServiceInstance third = pick(exchange);
			assertThat(List.of(first, second, third)).as("request %d", request)
				.containsExactlyInAnyOrder(this.one, this.two, this.three);
			assertThat(BackendLoadBalancer.triedBackends(exchange)).containsExactly(first, second, third);
		}
	}

	@Test
	void retrySkipsTheTriedBackendEvenWhenTheRotationLandsOnIt() {
		Map<String, Object> exchange = new HashMap<>();
		assertThat(pick(exchange)).isEqualTo(this.one);
		picks(2); // other requests move the rotation so that it points at "one" again
		assertThat(pick(exchange)).isNotEqualTo(this.one);
	}

	@Test
	void picksATriedBackendAgainOnlyWhenEveryHealthyOneWasTried() {
		this.health.markDown(this.three, "connection refused");
		Map<String, Object> exchange = new HashMap<>();
		ServiceInstance first = pick(exchange);
		ServiceInstance second = pick(exchange);
		ServiceInstance third = pick(exchange);
		assertThat(List.of(first, second)).containsExactlyInAnyOrder(this.one, this.two);
		assertThat(third).isIn(this.one, this.two);
	}

	@Test
	void answersWithoutAServerWhenNoBackendIsHealthy() {
		List.of(this.one, this.two, this.three).forEach((backend) -> this.health.markDown(backend, "down"));

		StepVerifier.create(this.balancer.choose(Instances.request()))
			.assertNext((response) -> assertThat(response.hasServer()).isFalse())
			.verifyComplete();
	}

	@Test
	void servesRequestsWithoutExchangeAttributes() {
		StepVerifier.create(this.balancer.choose(new DefaultRequest<>()))
			.assertNext((response) -> assertThat(response.getServer()).isIn(this.one, this.two, this.three))
			.verifyComplete();
	}

	private List<ServiceInstance> picks(int count) {
		List<ServiceInstance> picked = new ArrayList<>();
		for (int i = 0; i < count; i++) {
			picked.add(pick(new HashMap<>()));
		}
		return picked;
	}

	private ServiceInstance pick(Map<String, Object> exchangeAttributes) {
		Response<ServiceInstance> response = this.balancer.choose(Instances.request(exchangeAttributes)).block();
		assertThat(response).isNotNull();
		assertThat(response.hasServer()).isTrue();
		return response.getServer();
	}


}
