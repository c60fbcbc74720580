package dev.balancer.routing;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;

import org.junit.jupiter.api.Test;

import dev.balancer.support.Concurrently;
import dev.balancer.support.Instances;

import org.springframework.cloud.client.ServiceInstance;

import static dev.balancer.support.Instances.backend;
import static org.assertj.core.api.Assertions.assertThat;

class WeightedRoundRobinStrategyTests {

	final ServiceInstance a = backend(1, 5);

	final ServiceInstance b = backend(2, 1);

	final ServiceInstance c = backend(3, 1);

	@Test
	void interleavesLikeNginx() {
		WeightedRoundRobinStrategy strategy = new WeightedRoundRobinStrategy(List.of(this.a, this.b, this.c));

		List<ServiceInstance> picks = picks(strategy, List.of(this.a, this.b, this.c), 14);

		List<ServiceInstance> cycle = List.of(this.a, this.a, this.b, this.a, this.c, this.a, this.a);
		assertThat(picks.subList(0, 7)).isEqualTo(cycle);
		assertThat(picks.subList(7, 14)).isEqualTo(cycle);
	}

	@Test
	void equalWeightsMeanRoundRobin() {
		List<ServiceInstance> equal = List.of(backend(1), backend(2), backend(3));
		WeightedRoundRobinStrategy strategy = new WeightedRoundRobinStrategy(equal);

		assertThat(picks(strategy, equal, 6)).extracting(ServiceInstance::getPort).containsExactly(1, 2, 3, 1, 2, 3);
	}

	@Test
	void sharesFollowTheWeightsOfTheCandidatesLeft() {
		ServiceInstance heavy = backend(4, 3);
		WeightedRoundRobinStrategy strategy = new WeightedRoundRobinStrategy(List.of(this.a, this.b, heavy));

		List<ServiceInstance> picks = picks(strategy, List.of(this.b, heavy), 400); // "a" is down

		assertThat(picks.stream().filter(this.b::equals).count()).isEqualTo(100);
		assertThat(picks.stream().filter(heavy::equals).count()).isEqualTo(300);
	}

	@Test
	void concurrentPicksKeepExactProportions() throws Exception {
		List<ServiceInstance> backends = List.of(backend(1, 3), backend(2, 2), backend(3, 1));
		WeightedRoundRobinStrategy strategy = new WeightedRoundRobinStrategy(backends);
		Map<Integer, LongAdder> counts = new ConcurrentHashMap<>();
		Concurrently.run(8, (thread) -> {
			for (int i = 0; i < 600; i++) {
				int port = strategy.choose(backends, Instances.request()).getPort();
				counts.computeIfAbsent(port, (key) -> new LongAdder()).increment();
			}
		});
		assertThat(counts.get(1).sum()).isEqualTo(2400);
		assertThat(counts.get(2).sum()).isEqualTo(1600);
		assertThat(counts.get(3).sum()).isEqualTo(800);
	}

	static List<ServiceInstance> picks(LoadBalancingStrategy strategy, List<ServiceInstance> candidates, int count) {
		List<ServiceInstance> picks = new ArrayList<>();
		for (int i = 0; i < count; i++) {
			picks.add(strategy.choose(candidates, Instances.request()));
		}
		return picks;
	}

}
