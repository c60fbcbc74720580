package dev.balancer.routing;

import java.util.List;
import java.util.function.Supplier;
import java.util.random.RandomGenerator;

import org.springframework.cloud.client.ServiceInstance;
import org.springframework.cloud.client.loadbalancer.Request;

/** Any candidate, uniformly at random; weights are not considered. */
public class RandomStrategy implements LoadBalancingStrategy {

	private final Supplier<? extends RandomGenerator> random;

	public RandomStrategy(Supplier<? extends RandomGenerator> random) {
		this.random = random;
	}

	@Override
	public ServiceInstance choose(List<ServiceInstance> candidates, Request<?> request) {
		return candidates.get(this.random.get().nextInt(candidates.size()));
	}

}
