package dev.balancer.routing;

import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

import org.springframework.cloud.client.ServiceInstance;
import org.springframework.cloud.client.loadbalancer.Request;

/**
 * The candidate with the fewest requests in flight for its weight ({@code inFlight / weight}); among equals
 * the scan starts one candidate further on each pick, so ties are broken round-robin.
 */
public class LeastConnectionsStrategy implements LoadBalancingStrategy {

	private final InFlightRequests inFlight;

	private final AtomicInteger position = new AtomicInteger();

	public LeastConnectionsStrategy(InFlightRequests inFlight) {
		this.inFlight = inFlight;
	}

	@Override
	public ServiceInstance choose(List<ServiceInstance> candidates, Request<?> request) {
		int size = candidates.size();
		int start = (this.position.getAndIncrement() & Integer.MAX_VALUE) % size;
		ServiceInstance best = candidates.get(start);
		long bestLoad = this.inFlight.count(best);
		long bestWeight = Backends.weight(best);
		for (int i = 1; i < size; i++) {
			ServiceInstance candidate = candidates.get((start + i) % size);
			long load = this.inFlight.count(candidate);
			long weight = Backends.weight(candidate);
			if (load * bestWeight < bestLoad * weight) { // load / weight < bestLoad / bestWeight
				best = candidate;
				bestLoad = load;
				bestWeight = weight;
			}
		}
		return best;
	}

}
