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

	/**
	 * Exchange attribute holding the backends this request has tried: the backend itself after the first
	 * attempt, a list of them in order after retries.
	 */
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
		Map<String, Object> attributes = exchangeAttributes(request);
		List<ServiceInstance> tried = (attributes != null) ? triedBackends(attributes) : List.of();
		List<ServiceInstance> candidates = untried(healthy, tried);
		ServiceInstance chosen = (this.stickySessions != null) ? this.stickySessions.pinned(request, candidates) : null;
		if (chosen == null) {
			chosen = this.strategy.choose(candidates, request);
		}
		if (attributes != null) {
			recordTried(attributes, tried, chosen);
		}
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

	static boolean wasTried(ServiceInstance candidate, List<ServiceInstance> tried) {
		for (ServiceInstance instance : tried) {
			if (instance.getInstanceId().equals(candidate.getInstanceId())) {
				return true;
			}
		}
		return false;
	}

	/** The exchange attributes the gateway passes along; {@code null} for a plain load-balancer call. */
	private static @Nullable Map<String, Object> exchangeAttributes(Request<?> request) {
		if (request.getContext() instanceof RequestDataContext context) {
			return context.getClientRequest().getAttributes();
		}
		return null;
	}

	/** The backends this request has tried, in order. */
	@SuppressWarnings("unchecked")
	static List<ServiceInstance> triedBackends(Map<String, Object> attributes) {
		Object tried = attributes.get(TRIED_BACKENDS_ATTRIBUTE);
		if (tried instanceof ServiceInstance single) {
			return List.of(single);
		}
		return (tried instanceof List<?> several) ? (List<ServiceInstance>) several : List.of();
	}

	// The first attempt stores the backend itself: most requests never retry, so they need no list.
	private static void recordTried(Map<String, Object> attributes, List<ServiceInstance> tried,
			ServiceInstance chosen) {
		if (tried.isEmpty()) {
			attributes.put(TRIED_BACKENDS_ATTRIBUTE, chosen);
			return;
		}
		List<ServiceInstance> all = new ArrayList<>(tried);
		all.add(chosen);
		attributes.put(TRIED_BACKENDS_ATTRIBUTE, List.copyOf(all));
	}

}
