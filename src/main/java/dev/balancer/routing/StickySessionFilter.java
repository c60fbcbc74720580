package dev.balancer.routing;

import java.net.InetSocketAddress;
import java.util.List;

import reactor.core.publisher.Mono;

import org.springframework.cloud.client.ServiceInstance;
import org.springframework.cloud.client.loadbalancer.Response;
import org.springframework.cloud.gateway.filter.GatewayFilter;
import org.springframework.cloud.gateway.filter.GatewayFilterChain;
import org.springframework.cloud.gateway.support.ServerWebExchangeUtils;
import org.springframework.core.Ordered;
import org.springframework.http.HttpCookie;
import org.springframework.http.server.reactive.ServerHttpRequest;
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

	private final List<AddressRange> trustedProxies;

	public StickySessionFilter(StickySessions sessions, List<AddressRange> trustedProxies) {
		this.sessions = sessions;
		this.trustedProxies = List.copyOf(trustedProxies);
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
			exchange.getResponse().addCookie(this.sessions.cookie(backend, overTls(exchange.getRequest())));
		}
	}

	/** Whether the client connected over TLS, to the balancer or to a trusted proxy in front of it. */
	private boolean overTls(ServerHttpRequest request) {
		if (request.getSslInfo() != null) {
			return true;
		}
		InetSocketAddress peer = request.getRemoteAddress();
		if (peer == null || !AddressRange.anyContains(this.trustedProxies, peer.getAddress())) {
			return false;
		}
		// The first proxy's word on the client's scheme comes first: "https, http" after a second proxy.
		String proto = request.getHeaders().getFirst(ForwardingHeadersFilter.X_FORWARDED_PROTO);
		if (proto == null) {
			return false;
		}
		int comma = proto.indexOf(',');
		return ((comma >= 0) ? proto.substring(0, comma) : proto).strip().equalsIgnoreCase("https");
	}

}
