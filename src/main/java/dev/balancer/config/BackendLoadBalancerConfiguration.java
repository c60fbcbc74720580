package dev.balancer.config;

import dev.balancer.health.BackendHealthRegistry;
import dev.balancer.health.HealthyInstanceListSupplier;
import dev.balancer.routing.BackendLoadBalancer;
import dev.balancer.routing.Backends;
import dev.balancer.routing.RoundRobinStrategy;

import org.springframework.cloud.client.ServiceInstance;
import org.springframework.cloud.loadbalancer.core.ReactorServiceInstanceLoadBalancer;
import org.springframework.cloud.loadbalancer.core.ServiceInstanceListSupplier;
import org.springframework.cloud.loadbalancer.support.ServiceInstanceListSuppliers;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Bean;

/**
 * The beans of the {@code backends} load-balancer client, created by Spring Cloud LoadBalancer in its child
 * context for that service. Deliberately not a {@code @Configuration}: component scanning must not pull these
 * beans into the main context.
 */
public class BackendLoadBalancerConfiguration {

	/** The configured backends, filtered down to the healthy ones. */
	@Bean
	ServiceInstanceListSupplier backendInstanceListSupplier(ConfigurableApplicationContext context,
			BackendHealthRegistry registry) {
		ServiceInstance[] backends = registry.backends().toArray(ServiceInstance[]::new);
		return ServiceInstanceListSupplier.builder()
			.withBase(ServiceInstanceListSuppliers.from(Backends.SERVICE_ID, backends))
			.with((ignored, delegate) -> new HealthyInstanceListSupplier(delegate, registry))
			.build(context);
	}

	@Bean
	ReactorServiceInstanceLoadBalancer backendLoadBalancer(ServiceInstanceListSupplier backendInstanceListSupplier) {
		return new BackendLoadBalancer(backendInstanceListSupplier, new RoundRobinStrategy());
	}

}
