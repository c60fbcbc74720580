package dev.balancer.routing;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.jspecify.annotations.Nullable;
import reactor.core.publisher.Mono;

import org.springframework.cloud.client.ServiceInstance;
import org.springframework.cloud.client.loadbalancer.DefaultResponse;
import org.springframework.cloud.client.loadbalancer.EmptyResponse;
import org.springframework.cloud.client.loadbalancer.Request;
import org.springframework.cloud.client.loadbalancer.RequestDataContext;
import org.springframework.cloud.client.loadbalancer.Response;
import org.springframework.cloud.loadbalancer.core.ReactorServiceInstanceLoadBalancer;
import org.springframework.cloud.loadbalancer.core.ServiceInstanceListSupplier;

/**
 * The load balancer that Spring Cloud Gateway asks for a backend on every attempt of a request. It takes the
 * healthy instances from its supplier, leaves out those this request has already tried while an untried one
 * remains, and sends the request to the backend its sticky-session cookie names if that is still among them;
 * otherwise the strategy picks.
 * <p>
 * The tried backends are kept in the exchange's attributes, which the gateway hands over in the request
 * context. Spring Cloud's {@code RetryAwareServiceInstanceListSupplier} cannot do this here: the gateway's
 * load-balancer filter never fills in the retry context it reads (spring-cloud-gateway #3045, #1371).
 */
public class BackendLoadBalancer implements ReactorServiceInstanceLoadBalancer {

	/** Exchange attribute holding the backends this request has tried, in order. */
	public static final String TRIED_BACKENDS_ATTRIBUTE = BackendLoadBalancer.class.getName() + ".triedBackends";

	private final ServiceInstanceListSupplier supplier;

	private final LoadBalancingStrategy strategy;

	private final @Nullable StickySessions stickySessions;

	public BackendLoadBalancer(ServiceInstanceListSupplier supplier, LoadBalancingStrategy strategy) {
		this(supplier, strategy, null);
	}

	public BackendLoadBalancer(ServiceInstanceListSupplier supplier, LoadBalancingStrategy strategy,
			@Nullable StickySessions stickySessions) {
		this.supplier = supplier;
		this.strategy = strategy;
		this.stickySessions = stickySessions;
	}

	@Override
	@SuppressWarnings("rawtypes")
	public Mono<Response<ServiceInstance>> choose(Request request) {
		return this.supplier.get(request).next().map((healthy) -> pick(healthy, request));
	}

	private Response<ServiceInstance> pick(List<ServiceInstance> healthy, Request<?> request) {
		if (healthy.isEmpty()) {
			return new EmptyResponse();
		}
		List<ServiceInstance> tried = triedBackends(request);
		List<ServiceInstance> candidates = untried(healthy, tried);
		ServiceInstance chosen = (this.stickySessions != null) ? this.stickySessions.pinned(request, candidates) : null;
		if (chosen == null) {
			chosen = this.strategy.choose(candidates, request);
		}
		tried.add(chosen);
		return new DefaultResponse(chosen);
	}

	private static List<ServiceInstance> untried(List<ServiceInstance> healthy, List<ServiceInstance> tried) {
		if (tried.isEmpty()) {
			return healthy;
		}
		List<ServiceInstance> untried = new ArrayList<>(healthy.size());
		for (ServiceInstance candidate : healthy) {
			if (!wasTried(candidate, tried)) {
				untried.add(candidate);
			}
		}
		// Every healthy backend has had a go: trying one of them again beats failing the request.
		return untried.isEmpty() ? healthy : untried;
	}

	private static boolean wasTried(ServiceInstance candidate, List<ServiceInstance> tried) {
		for (ServiceInstance instance : tried) {
			if (instance.getInstanceId().equals(candidate.getInstanceId())) {
				return true;
			}
		}
		return false;
	}

	/**
	 * The backends tried so far by the request, from the exchange attributes; a request without exchange
	 * attributes (a plain load-balancer call) gets a fresh list each time.
	 */
	@SuppressWarnings("unchecked")
	static List<ServiceInstance> triedBackends(Request<?> request) {
		if (request.getContext() instanceof RequestDataContext context
				&& context.getClientRequest().getAttributes() != null) {
			Map<String, Object> attributes = context.getClientRequest().getAttributes();
			return (List<ServiceInstance>) attributes.computeIfAbsent(TRIED_BACKENDS_ATTRIBUTE,
					(key) -> new ArrayList<ServiceInstance>(2));
		}
		return new ArrayList<>(1);
	}

}
