package dev.balancer.health;

import reactor.core.publisher.Mono;

import org.springframework.cloud.client.ServiceInstance;

/**
 * Checks one backend once. Implementations complete with a {@link ProbeResult} and never with an error,
 * so one broken backend cannot stop the others from being checked.
 */
@FunctionalInterface
public interface BackendProbe {

	Mono<ProbeResult> probe(ServiceInstance backend);

}
