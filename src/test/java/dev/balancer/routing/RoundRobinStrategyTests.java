package dev.balancer.routing;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;

import org.junit.jupiter.api.Test;

import dev.balancer.support.Concurrently;
import dev.balancer.support.Instances;

import org.springframework.cloud.client.ServiceInstance;
import org.springframework.cloud.client.loadbalancer.DefaultRequest;

import static org.assertj.core.api.Assertions.assertThat;

class RoundRobinStrategyTests {

	static final List<ServiceInstance> backends = List.of(Instances.backend(1), Instances.backend(2), Instances.backend(3));

	final RoundRobinStrategy strategy = new RoundRobinStrategy();

	@Test
	void sixPicksOverThreeBackendsGoOneTwoThreeOneTwoThree() {
		List<Integer> picked = new ArrayList<>();
		for (int i = 0; i < 6; i++) {
			picked.add(this.strategy.choose(backends, new DefaultRequest<>()).getPort());
		}
		assertThat(picked).containsExactly(1, 2, 3, 1, 2, 3);
	}

	@Test
	void concurrentPicksSplitExactlyEvenly() throws Exception {
		int threads = 8;
		int picksPerThread = 3000;
		Map<Integer, LongAdder> counts = new ConcurrentHashMap<>();
		Concurrently.run(threads, (thread) -> {
			for (int i = 0; i < picksPerThread; i++) {
				int port = this.strategy.choose(backends, new DefaultRequest<>()).getPort();
				counts.computeIfAbsent(port, (key) -> new LongAdder()).increment();
			}
		});
		assertThat(counts).hasSize(3);
		counts.values().forEach((count) -> assertThat(count.sum()).isEqualTo(threads * picksPerThread / 3));
	}

	@Test
	void followsTheCandidatesItIsGiven() {
		List<ServiceInstance> two = List.of(backends.get(0), backends.get(2));
		assertThat(this.strategy.choose(two, new DefaultRequest<>()).getPort()).isEqualTo(1);
		assertThat(this.strategy.choose(two, new DefaultRequest<>()).getPort()).isEqualTo(3);
		assertThat(this.strategy.choose(List.of(backends.get(1)), new DefaultRequest<>()).getPort()).isEqualTo(2);
	}

	@Test
	void keepsRotatingWhenTheCounterWrapsAround() throws Exception {
		var position = RoundRobinStrategy.class.getDeclaredField("position");
		position.setAccessible(true);
		((AtomicInteger) position.get(this.strategy)).set(Integer.MAX_VALUE - 1);

		for (int i = 0; i < 6; i++) {
			assertThat(this.strategy.choose(backends, new DefaultRequest<>())).isIn(backends);
		}
	}

}
