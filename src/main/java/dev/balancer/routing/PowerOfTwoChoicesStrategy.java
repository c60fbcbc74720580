package dev.balancer.routing;

import java.util.List;
import java.util.function.Supplier;
import java.util.random.RandomGenerator;

import org.springframework.cloud.client.ServiceInstance;
import org.springframework.cloud.client.loadbalancer.Request;

/**
 * Two distinct candidates at random, the one with fewer requests in flight for its weight wins (Envoy's
 * default for least-request). Nearly as good as a full least-connections scan, with no shared cursor and
 * without herding many balancer replicas onto the same idle backend.
 */
public class PowerOfTwoChoicesStrategy implements LoadBalancingStrategy {

	private final InFlightRequests inFlight;

	private final Supplier<? extends RandomGenerator> random;

	public PowerOfTwoChoicesStrategy(InFlightRequests inFlight, Supplier<? extends RandomGenerator> random) {
		this.inFlight = inFlight;
		this.random = random;
	}

	@Override
	public ServiceInstance choose(List<ServiceInstance> candidates, Request<?> request) {
		int size = candidates.size();
		if (size == 1) {
			return candidates.get(0);
		}
		RandomGenerator random = this.random.get();
		int first = random.nextInt(size);
		int second = random.nextInt(size - 1);
		if (second >= first) {
			second++;
		}
		ServiceInstance a = candidates.get(first);
		ServiceInstance b = candidates.get(second);
		long loadA = (long) this.inFlight.count(a) * Backends.weight(b);
		long loadB = (long) this.inFlight.count(b) * Backends.weight(a);
		return (loadB < loadA) ? b : a;
	}

}
