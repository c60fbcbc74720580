package dev.balancer.routing;

import reactor.core.publisher.Mono;

import org.springframework.cloud.client.ServiceInstance;
import org.springframework.cloud.client.loadbalancer.Response;
import org.springframework.cloud.gateway.filter.GatewayFilter;
import org.springframework.cloud.gateway.filter.GatewayFilterChain;
import org.springframework.cloud.gateway.support.ServerWebExchangeUtils;
import org.springframework.core.Ordered;
import org.springframework.http.HttpCookie;
import org.springframework.web.server.ServerWebExchange;

/**
 * Sets the sticky-session cookie on a response when the client did not already carry the one naming the
 * backend that answered: on its first request, and again after its backend failed and another took over.
 * Runs around all attempts of a request, so only the backend that finally answered is named.
 * <p>
 * The cookie is {@code Secure} when the client came over TLS: to the balancer itself, or to a proxy in
 * {@code balancer.trusted-proxies} in front of it that says so in {@code X-Forwarded-Proto}, such as an ingress
 * controller that terminates TLS.
 */
public class StickySessionFilter implements GatewayFilter, Ordered {

	private final StickySessions sessions;

	/** Which scheme the client used, as the backend is told it. */
	private final ForwardingHeadersFilter forwarding;

	public StickySessionFilter(StickySessions sessions, ForwardingHeadersFilter forwarding) {
		this.sessions = sessions;
		this.forwarding = forwarding;
	}

	@Override
	public int getOrder() {
		return FailoverFilter.ORDER - 2;
	}

	@Override
	public Mono<Void> filter(ServerWebExchange exchange, GatewayFilterChain chain) {
		return chain.filter(exchange).then(Mono.fromRunnable(() -> pin(exchange)));
	}

	private void pin(ServerWebExchange exchange) {
		Response<ServiceInstance> chosen = exchange
			.getAttribute(ServerWebExchangeUtils.GATEWAY_LOADBALANCER_RESPONSE_ATTR);
		if (chosen == null || !chosen.hasServer() || exchange.getResponse().isCommitted()) {
			return;
		}
		ServiceInstance backend = chosen.getServer();
		HttpCookie current = exchange.getRequest().getCookies().getFirst(this.sessions.cookieName());
		if (current == null || !current.getValue().equals(this.sessions.id(backend))) {
			boolean overTls = "https".equalsIgnoreCase(this.forwarding.clientScheme(exchange.getRequest()));
			exchange.getResponse().addCookie(this.sessions.cookie(backend, overTls));
		}
	}

}
