package dev.balancer.health;

import java.util.List;

import reactor.core.publisher.Flux;

import org.springframework.cloud.client.ServiceInstance;
import org.springframework.cloud.loadbalancer.core.DelegatingServiceInstanceListSupplier;
import org.springframework.cloud.loadbalancer.core.ServiceInstanceListSupplier;

/**
 * Leaves out the instances that the {@link OutlierDetector} has ejected, but for when every one is
 * ({@link OutlierDetector#available}); passes the list on while none is.
 */
public class NotEjectedInstanceListSupplier extends DelegatingServiceInstanceListSupplier {

	private final OutlierDetector detector;

	public NotEjectedInstanceListSupplier(ServiceInstanceListSupplier delegate, OutlierDetector detector) {
		super(delegate);
		this.detector = detector;
	}

	@Override
	public Flux<List<ServiceInstance>> get() {
		return getDelegate().get().map(this::notEjected);
	}

	List<ServiceInstance> notEjected(List<ServiceInstance> instances) {
		return this.detector.available(instances);
	}

}
