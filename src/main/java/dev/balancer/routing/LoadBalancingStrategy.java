package dev.balancer.routing;

import java.util.List;

import org.springframework.cloud.client.ServiceInstance;
import org.springframework.cloud.client.loadbalancer.Request;

/**
 * Picks one backend out of the candidates for a request. The candidates are already healthy and, for a retry,
 * not yet tried; the list is never empty. Strategies are pure: no I/O, no Spring context, safe to call from
 * many threads at once.
 */
@FunctionalInterface
public interface LoadBalancingStrategy {

	ServiceInstance choose(List<ServiceInstance> candidates, Request<?> request);

}
