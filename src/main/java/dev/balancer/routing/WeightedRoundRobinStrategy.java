package dev.balancer.routing;

import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import org.springframework.cloud.client.ServiceInstance;
import org.springframework.cloud.client.loadbalancer.Request;

/**
 * Smooth weighted round-robin, the interleaving nginx uses: each pick adds every candidate's weight to its
 * running score, takes the highest score and lowers it by the sum of the weights. Weights 5, 1, 1 give
 * a, a, b, a, c, a, a rather than a burst of five a's.
 */
public class WeightedRoundRobinStrategy implements LoadBalancingStrategy {

	private final Map<String, Score> scores = new ConcurrentHashMap<>();

	public WeightedRoundRobinStrategy(List<ServiceInstance> backends) {
		backends.forEach(this::score);
	}

	@Override
	public synchronized ServiceInstance choose(List<ServiceInstance> candidates, Request<?> request) {
		ServiceInstance best = candidates.get(0);
		Score bestScore = null;
		int total = 0;
		for (int i = 0; i < candidates.size(); i++) {
			ServiceInstance candidate = candidates.get(i);
			Score score = score(candidate);
			score.current += score.weight;
			total += score.weight;
			if (bestScore == null || score.current > bestScore.current) {
				best = candidate;
				bestScore = score;
			}
		}
		bestScore.current -= total;
		return best;
	}

	private Score score(ServiceInstance backend) {
		Score score = this.scores.get(backend.getInstanceId());
		return (score != null) ? score
				: this.scores.computeIfAbsent(backend.getInstanceId(), (id) -> new Score(Backends.weight(backend)));
	}

	/** A backend's weight and running score; guarded by the strategy's lock. */
	private static final class Score {

		private final int weight;

		private long current;

		Score(int weight) {
			this.weight = weight;
		}

	}

}
