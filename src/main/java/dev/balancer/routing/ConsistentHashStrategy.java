package dev.balancer.routing;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;

import org.jspecify.annotations.Nullable;

import org.springframework.cloud.client.ServiceInstance;
import org.springframework.cloud.client.loadbalancer.Request;

/**
 * A hash ring over the configured backends: a request goes to the first backend clockwise from its key's
 * hash that is a candidate (healthy and not yet tried). Each backend owns many points in proportion to its
 * weight, so when one leaves only its own keys move, spread over the others, and come back when it returns:
 * about 1/N of all keys. A request without the key is balanced by the fallback strategy.
 */
public class ConsistentHashStrategy implements LoadBalancingStrategy {

	static final int POINTS_PER_WEIGHT = 100;

	static final int MAX_POINTS = 100_000;

	private final HashKey key;

	private final LoadBalancingStrategy fallback;

	private final long[] points;

	private final ServiceInstance[] owners;

	private final int backends;

	public ConsistentHashStrategy(List<ServiceInstance> backends, HashKey key, LoadBalancingStrategy fallback) {
		this.key = key;
		this.fallback = fallback;
		this.backends = backends.size();
		List<Point> ring = ring(backends);
		this.points = new long[ring.size()];
		this.owners = new ServiceInstance[ring.size()];
		for (int i = 0; i < ring.size(); i++) {
			this.points[i] = ring.get(i).hash;
			this.owners[i] = ring.get(i).owner;
		}
	}

	private static List<Point> ring(List<ServiceInstance> backends) {
		long totalWeight = backends.stream().mapToLong(Backends::weight).sum();
		double scale = Math.min(1.0, MAX_POINTS / (double) (totalWeight * POINTS_PER_WEIGHT));
		List<Point> ring = new ArrayList<>();
		for (ServiceInstance backend : backends) {
			int count = (int) Math.max(10, Math.round(Backends.weight(backend) * POINTS_PER_WEIGHT * scale));
			for (int replica = 0; replica < count; replica++) {
				ring.add(new Point(Hashing.hash(backend.getInstanceId(), replica), backend));
			}
		}
		ring.sort(Comparator.comparingLong((Point point) -> point.hash)
			.thenComparing((Point point) -> point.owner.getInstanceId()));
		return ring;
	}

	@Override
	public ServiceInstance choose(List<ServiceInstance> candidates, Request<?> request) {
		long hash = this.key.hash(request);
		if (hash == HashKey.NONE) {
			return this.fallback.choose(candidates, request);
		}
		int start = Arrays.binarySearch(this.points, hash);
		if (start < 0) {
			start = -start - 1;
		}
		if (candidates.size() == this.backends) {
			// Candidates are drawn from the configured backends: all of them are candidates, the owner too.
			return this.owners[start % this.points.length];
		}
		for (int step = 0; step < this.points.length; step++) {
			ServiceInstance owner = this.owners[(start + step) % this.points.length];
			ServiceInstance candidate = find(owner, candidates);
			if (candidate != null) {
				return candidate;
			}
		}
		return this.fallback.choose(candidates, request);
	}

	private static @Nullable ServiceInstance find(ServiceInstance owner, List<ServiceInstance> candidates) {
		String id = owner.getInstanceId();
		for (int i = 0; i < candidates.size(); i++) {
			ServiceInstance candidate = candidates.get(i);
			if (candidate == owner || candidate.getInstanceId().equals(id)) {
				return candidate;
			}
		}
		return null;
	}

	private record Point(long hash, ServiceInstance owner) {
	}

}
