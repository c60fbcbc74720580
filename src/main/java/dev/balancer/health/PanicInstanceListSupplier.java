package dev.balancer.health;

import java.util.List;

import reactor.core.publisher.Flux;

import org.springframework.cloud.client.ServiceInstance;
import org.springframework.cloud.loadbalancer.core.DelegatingServiceInstanceListSupplier;
import org.springframework.cloud.loadbalancer.core.ServiceInstanceListSupplier;

/** Applies {@link PanicMode} to the available instances. */
public class PanicInstanceListSupplier extends DelegatingServiceInstanceListSupplier {

	private final PanicMode panic;

	public PanicInstanceListSupplier(ServiceInstanceListSupplier delegate, PanicMode panic) {
		super(delegate);
		this.panic = panic;
	}

	@Override
	public Flux<List<ServiceInstance>> get() {
		return getDelegate().get().map(this.panic::apply);
	}

}
