package dev.balancer.routing;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

import org.jspecify.annotations.Nullable;

import org.springframework.cloud.client.ServiceInstance;
import org.springframework.cloud.client.loadbalancer.CompletionContext;
import org.springframework.cloud.client.loadbalancer.LoadBalancerLifecycle;
import org.springframework.cloud.client.loadbalancer.Request;
import org.springframework.cloud.client.loadbalancer.RequestDataContext;
import org.springframework.cloud.client.loadbalancer.Response;
import org.springframework.cloud.client.loadbalancer.ResponseData;

/**
 * Counts the requests in flight to each backend, from the moment one is sent to it until its response has
 * been passed on in full, or the attempt failed, was retried elsewhere or the client went away; a WebSocket
 * session until it closes.
 * <p>
 * Each attempt holds its backend's counter in the exchange attributes; whoever ends the attempt removes it
 * from there and decrements it. Removal from the exchange's concurrent map happens once, so a counter is
 * decremented exactly once per increment and never goes below zero, whichever of the ends comes first: a
 * failed attempt ({@link #onComplete}), the next attempt of the same request ({@link #onStartRequest}), or
 * the end of the exchange ({@link InFlightReleaseFilter}).
 */
public class InFlightRequests implements LoadBalancerLifecycle<RequestDataContext, ResponseData, ServiceInstance> {

	static final String ATTRIBUTE = InFlightRequests.class.getName() + ".counter";

	private final Map<String, AtomicInteger> counters = new HashMap<>();

	public InFlightRequests(List<ServiceInstance> backends) {
		for (ServiceInstance backend : backends) {
			this.counters.put(backend.getInstanceId(), new AtomicInteger());
		}
	}

	/** Requests in flight to the backend now. */
	public int count(ServiceInstance backend) {
		AtomicInteger counter = this.counters.get(backend.getInstanceId());
		return (counter != null) ? counter.get() : 0;
	}

	/** Requests in flight to all backends now. */
	public int total() {
		int total = 0;
		for (AtomicInteger counter : this.counters.values()) {
			total += counter.get();
		}
		return total;
	}

	@Override
	public void onStart(Request<RequestDataContext> request) {
	}

	@Override
	public void onStartRequest(Request<RequestDataContext> request, Response<ServiceInstance> lbResponse) {
		Map<String, Object> attributes = attributes(request);
		if (attributes == null) {
			return;
		}
		release(attributes);
		AtomicInteger counter = lbResponse.hasServer() ? this.counters.get(lbResponse.getServer().getInstanceId())
				: null;
		if (counter != null) {
			counter.incrementAndGet();
			attributes.put(ATTRIBUTE, counter);
		}
	}

	@Override
	public void onComplete(CompletionContext<ResponseData, ServiceInstance, RequestDataContext> completion) {
		// A successful attempt stays in flight until its response body has been written.
		if (completion.status() != CompletionContext.Status.SUCCESS) {
			Map<String, Object> attributes = attributes(completion.getLoadBalancerRequest());
			if (attributes != null) {
				release(attributes);
			}
		}
	}

	/**
	 * Takes the attempt held in these exchange attributes out of them, for the caller to end by decrementing the
	 * counter returned: a WebSocket session, in flight until it closes, long after its exchange ended
	 * ({@link WebSocketProxyFilter}). {@code null} when none is held.
	 */
	static @Nullable AtomicInteger take(Map<String, Object> attributes) {
		return (attributes.remove(ATTRIBUTE) instanceof AtomicInteger counter) ? counter : null;
	}

	/** Ends the attempt held in these exchange attributes, if any is still held. */
	public static void release(Map<String, Object> attributes) {
		if (attributes.remove(ATTRIBUTE) instanceof AtomicInteger counter) {
			counter.decrementAndGet();
		}
	}

	private static @Nullable Map<String, Object> attributes(@Nullable Request<?> request) {
		if (request != null && request.getContext() instanceof RequestDataContext context) {
			return context.getClientRequest().getAttributes();
		}
		return null;
	}

}
