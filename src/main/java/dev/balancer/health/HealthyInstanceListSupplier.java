package dev.balancer.health;

import java.util.List;

import reactor.core.publisher.Flux;

import org.springframework.cloud.client.ServiceInstance;
import org.springframework.cloud.loadbalancer.core.DelegatingServiceInstanceListSupplier;
import org.springframework.cloud.loadbalancer.core.ServiceInstanceListSupplier;

/** Passes on only the instances that the {@link BackendHealthRegistry} holds up. */
public class HealthyInstanceListSupplier extends DelegatingServiceInstanceListSupplier {

	private final BackendHealthRegistry registry;

	public HealthyInstanceListSupplier(ServiceInstanceListSupplier delegate, BackendHealthRegistry registry) {
		super(delegate);
		this.registry = registry;
	}

	@Override
	public Flux<List<ServiceInstance>> get() {
		return getDelegate().get().map(this.registry::healthyAmong);
	}

}
