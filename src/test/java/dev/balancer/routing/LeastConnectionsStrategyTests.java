package dev.balancer.routing;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import dev.balancer.support.Instances;

import org.springframework.cloud.client.ServiceInstance;
import org.springframework.cloud.client.loadbalancer.DefaultResponse;

import static dev.balancer.routing.WeightedRoundRobinStrategyTests.picks;
import static dev.balancer.support.Instances.backend;
import static org.assertj.core.api.Assertions.assertThat;

class LeastConnectionsStrategyTests {

	final ServiceInstance a = backend(1);

	final ServiceInstance b = backend(2);

	final ServiceInstance c = backend(3);

	final InFlightRequests inFlight = new InFlightRequests(List.of(this.a, this.b, this.c));

	final LeastConnectionsStrategy strategy = new LeastConnectionsStrategy(this.inFlight);

	@Test
	void picksTheBackendWithFewestRequestsInFlight() {
		send(this.a, 2);
		send(this.c, 1);

		assertThat(picks(this.strategy, List.of(this.a, this.b, this.c), 5)).containsOnly(this.b);
	}

	@Test
	void breaksTiesRoundRobin() {
		assertThat(picks(this.strategy, List.of(this.a, this.b, this.c), 6)).containsExactly(this.a, this.b, this.c,
				this.a, this.b, this.c);
	}

	@Test
	void weighsRequestsInFlightByTheBackendsWeight() {
		ServiceInstance big = backend(4, 3);
		ServiceInstance small = backend(5, 1);
		InFlightRequests counts = new InFlightRequests(List.of(big, small));
		send(counts, big, 3); // 3 / 3 = 1
		send(counts, small, 2); // 2 / 1 = 2

		assertThat(new LeastConnectionsStrategy(counts).choose(List.of(small, big), Instances.request())).isEqualTo(big);
	}

	@Test
	void considersOnlyTheCandidates() {
		send(this.b, 5);

		assertThat(picks(this.strategy, List.of(this.b, this.c), 3)).containsOnly(this.c);
	}

	private void send(ServiceInstance backend, int requests) {
		send(this.inFlight, backend, requests);
	}

	static void send(InFlightRequests inFlight, ServiceInstance backend, int requests) {
		for (int i = 0; i < requests; i++) {
			Map<String, Object> exchange = new HashMap<>();
			inFlight.onStartRequest(Instances.request(exchange), new DefaultResponse(backend));
		}
	}

}
