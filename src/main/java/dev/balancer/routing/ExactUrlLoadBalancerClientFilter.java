package dev.balancer.routing;

import java.net.URI;
import java.util.Locale;

import reactor.core.publisher.Mono;

import org.springframework.cloud.client.ServiceInstance;
import org.springframework.cloud.gateway.config.GatewayLoadBalancerProperties;
import org.springframework.cloud.gateway.filter.GatewayFilterChain;
import org.springframework.cloud.gateway.filter.ReactiveLoadBalancerClientFilter;
import org.springframework.cloud.gateway.support.ServerWebExchangeUtils;
import org.springframework.cloud.loadbalancer.support.LoadBalancerClientFactory;
import org.springframework.web.server.ServerWebExchange;

/**
 * The gateway's {@link ReactiveLoadBalancerClientFilter}, with the client's path and query kept exactly as sent
 * on the way to the chosen backend ({@link ExactUrls}).
 * <p>
 * The gateway's own WebSocket routing turns {@code http} into {@code ws} through Spring's URI builder too; for a
 * WebSocket handshake this filter hands on a {@code ws} or {@code wss} URL built the same exact way, which the
 * gateway's WebSocket filter then leaves as it is. It does so as soon as the backend is chosen, where the gateway
 * does it in its WebSocket filter just before the handshake goes out, so a filter ordered in between sees the
 * {@code ws} URL.
 */
public final class ExactUrlLoadBalancerClientFilter extends ReactiveLoadBalancerClientFilter {

	public ExactUrlLoadBalancerClientFilter(LoadBalancerClientFactory clientFactory,
			GatewayLoadBalancerProperties properties) {
		super(clientFactory, properties);
	}

	@Override
	public Mono<Void> filter(ServerWebExchange exchange, GatewayFilterChain chain) {
		if (!"websocket".equalsIgnoreCase(exchange.getRequest().getHeaders().getUpgrade())) {
			return super.filter(exchange, chain);
		}
		// The gateway's filter asks its chain for the rest when it is set up, before a backend is chosen.
		return super.filter(exchange, (chosen) -> Mono.defer(() -> {
			URI url = chosen.getRequiredAttribute(ServerWebExchangeUtils.GATEWAY_REQUEST_URL_ATTR);
			String scheme = url.getScheme().toLowerCase(Locale.ROOT);
			if (url.getHost() != null && (scheme.equals("http") || scheme.equals("https"))) {
				String webSocket = scheme.equals("https") ? "wss" : "ws";
				chosen.getAttributes()
					.put(ServerWebExchangeUtils.GATEWAY_REQUEST_URL_ATTR,
							ExactUrls.moved(url, webSocket, url.getHost(), url.getPort()));
			}
			return chain.filter(chosen);
		}));
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
