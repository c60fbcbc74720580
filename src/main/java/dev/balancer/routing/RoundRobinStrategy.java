package dev.balancer.routing;

import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

import org.springframework.cloud.client.ServiceInstance;
import org.springframework.cloud.client.loadbalancer.Request;

/**
 * Strict round-robin: one shared counter, so consecutive requests go to consecutive candidates (1, 2, 3, 1, 2,
 * 3 over three backends) and concurrent requests split exactly evenly.
 */
public class RoundRobinStrategy implements LoadBalancingStrategy {

	private final AtomicInteger position = new AtomicInteger();

	@Override
	public ServiceInstance choose(List<ServiceInstance> candidates, Request<?> request) {
		// The mask keeps the index non-negative when the counter wraps past Integer.MAX_VALUE.
		int next = this.position.getAndIncrement() & Integer.MAX_VALUE;
		return candidates.get(next % candidates.size());
	}

}
