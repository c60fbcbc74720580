package dev.balancer.routing;

import java.net.URI;
import java.time.Duration;
import java.util.Map;
import java.util.Set;

import reactor.core.publisher.Mono;

import org.springframework.cloud.client.ServiceInstance;
import org.springframework.cloud.client.loadbalancer.CompletionContext;
import org.springframework.cloud.client.loadbalancer.DefaultRequest;
import org.springframework.cloud.client.loadbalancer.LoadBalancerLifecycle;
import org.springframework.cloud.client.loadbalancer.LoadBalancerLifecycleValidator;
import org.springframework.cloud.client.loadbalancer.RequestData;
import org.springframework.cloud.client.loadbalancer.RequestDataContext;
import org.springframework.cloud.client.loadbalancer.Response;
import org.springframework.cloud.client.loadbalancer.ResponseData;
import org.springframework.cloud.gateway.config.GatewayLoadBalancerProperties;
import org.springframework.cloud.gateway.filter.GatewayFilterChain;
import org.springframework.cloud.gateway.filter.ReactiveLoadBalancerClientFilter;
import org.springframework.cloud.gateway.support.ServerWebExchangeUtils;
import org.springframework.cloud.loadbalancer.support.LoadBalancerClientFactory;
import org.springframework.web.server.ServerWebExchange;

/**
 * The gateway's {@link ReactiveLoadBalancerClientFilter}, with the client's path and query kept exactly as sent
 * on the way to the chosen backend ({@link ExactUrls}), and with every attempt it sends ending in one
 * {@link LoadBalancerLifecycle#onComplete}.
 * <p>
 * The gateway's filter reports an attempt that answered or failed, but not one that was called off while it
 * waited for the response, which left no trace in {@code balancer.backend.requests}. This one reports those too,
 * as failures: a request timeout is the backend's {@link UpstreamFailure#TIMEOUT} (Envoy counts its route
 * timeout against the host as well), and any other call-off is the client going away
 * ({@link UpstreamFailure#CLIENT_ABORT}: nginx's 499), which counts against no backend.
 */
public final class ExactUrlLoadBalancerClientFilter extends ReactiveLoadBalancerClientFilter {

	/**
	 * Exchange attribute set to the request timeout by {@link FailoverFilter} when it expires, just before it
	 * calls off the attempt under way.
	 */
	static final String REQUEST_TIMED_OUT_ATTR = ExactUrlLoadBalancerClientFilter.class.getName() + ".requestTimedOut";

	private final LoadBalancerClientFactory clientFactory;

	public ExactUrlLoadBalancerClientFilter(LoadBalancerClientFactory clientFactory,
			GatewayLoadBalancerProperties properties) {
		super(clientFactory, properties);
		this.clientFactory = clientFactory;
	}

	@Override
	public Mono<Void> filter(ServerWebExchange exchange, GatewayFilterChain chain) {
		URI url = exchange.getAttribute(ServerWebExchangeUtils.GATEWAY_REQUEST_URL_ATTR);
		if (url == null || url.getHost() == null) {
			return super.filter(exchange, chain);
		}
		String serviceId = url.getHost();
		return super.filter(exchange, chain).doOnCancel(() -> calledOff(exchange, serviceId));
	}

	/**
	 * Tells the service's lifecycle beans how an attempt called off ended, as the gateway's filter tells them of
	 * a failed one. Nothing is told when no backend had been chosen yet: no attempt was sent.
	 */
	private void calledOff(ServerWebExchange exchange, String serviceId) {
		Response<ServiceInstance> chosen = exchange
			.getAttribute(ServerWebExchangeUtils.GATEWAY_LOADBALANCER_RESPONSE_ATTR);
		if (chosen == null || !chosen.hasServer()) {
			return;
		}
		Object timeout = exchange.getAttribute(REQUEST_TIMED_OUT_ATTR);
		AttemptCancelledException why = (timeout instanceof Duration requestTimeout)
				? AttemptCancelledException.ofRequestTimeout(requestTimeout) : AttemptCancelledException.ofClientGone();
		@SuppressWarnings("rawtypes")
		Map<String, LoadBalancerLifecycle> beans = this.clientFactory.getInstances(serviceId,
				LoadBalancerLifecycle.class);
		@SuppressWarnings({ "rawtypes", "unchecked" })
		Set<LoadBalancerLifecycle> lifecycles = LoadBalancerLifecycleValidator.getSupportedLifecycleProcessors(beans,
				RequestDataContext.class, ResponseData.class, ServiceInstance.class);
		if (lifecycles.isEmpty()) {
			return;
		}
		DefaultRequest<RequestDataContext> request = new DefaultRequest<>(
				new RequestDataContext(new RequestData(exchange.getRequest(), exchange.getAttributes())));
		CompletionContext<ResponseData, ServiceInstance, RequestDataContext> completion = new CompletionContext<>(
				CompletionContext.Status.FAILED, why, request, chosen);
		for (LoadBalancerLifecycle<RequestDataContext, ResponseData, ServiceInstance> lifecycle : lifecycles) {
			lifecycle.onComplete(completion);
		}
	}

	@Override
	protected URI reconstructURI(ServiceInstance instance, URI original) {
		String scheme = instance.getScheme();
		if (scheme == null || instance.getHost() == null) {
			return super.reconstructURI(instance, original);
		}
		int port = instance.getPort();
		if (port < 0) {
			port = (scheme.equalsIgnoreCase("https") || scheme.equalsIgnoreCase("wss")) ? 443 : 80;
		}
		return ExactUrls.moved(original, scheme, instance.getHost(), port);
	}

}
