package dev.balancer.routing;

import java.net.URI;
import java.util.Locale;

import reactor.core.publisher.Mono;

import org.springframework.cloud.gateway.filter.GatewayFilterChain;
import org.springframework.cloud.gateway.filter.GlobalFilter;
import org.springframework.cloud.gateway.filter.WebsocketRoutingFilter;
import org.springframework.cloud.gateway.support.ServerWebExchangeUtils;
import org.springframework.core.Ordered;
import org.springframework.web.server.ServerWebExchange;

/**
 * The gateway's {@link WebsocketRoutingFilter}, with the handshake's path and query kept exactly as sent.
 * <p>
 * The gateway's filter turns a WebSocket handshake's {@code http} URL into a {@code ws} one through Spring's URI
 * builder, which rewrites the query ({@link ExactUrls}). This filter makes that change first, in the same place and
 * the exact way, and then hands the exchange to the gateway's filter, which finds nothing left to change.
 */
public final class ExactWebSocketUrlFilter implements GlobalFilter, Ordered {

	private final WebsocketRoutingFilter gateway;

	public ExactWebSocketUrlFilter(WebsocketRoutingFilter gateway) {
		this.gateway = gateway;
	}

	@Override
	public Mono<Void> filter(ServerWebExchange exchange, GatewayFilterChain chain) {
		URI url = exchange.getAttribute(ServerWebExchangeUtils.GATEWAY_REQUEST_URL_ATTR);
		if (url != null && url.getHost() != null
				&& "websocket".equalsIgnoreCase(exchange.getRequest().getHeaders().getUpgrade())) {
			String scheme = url.getScheme().toLowerCase(Locale.ROOT);
			if (scheme.equals("http") || scheme.equals("https")) {
				exchange.getAttributes()
					.put(ServerWebExchangeUtils.GATEWAY_REQUEST_URL_ATTR,
							ExactUrls.moved(url, scheme.equals("https") ? "wss" : "ws", url.getHost(), url.getPort()));
			}
		}
		return this.gateway.filter(exchange, chain);
	}

	@Override
	public int getOrder() {
		return this.gateway.getOrder();
	}

}
