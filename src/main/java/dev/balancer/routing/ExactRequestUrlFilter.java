package dev.balancer.routing;

import java.net.URI;

import reactor.core.publisher.Mono;

import org.springframework.cloud.gateway.filter.GatewayFilterChain;
import org.springframework.cloud.gateway.filter.RouteToRequestUrlFilter;
import org.springframework.cloud.gateway.route.Route;
import org.springframework.cloud.gateway.support.ServerWebExchangeUtils;
import org.springframework.web.server.ServerWebExchange;

/**
 * The gateway's {@link RouteToRequestUrlFilter} (the request's URL moved to its route's scheme, host and port),
 * with the client's path and query kept exactly as sent ({@link ExactUrls}). Route URIs without a host of their
 * own ({@code lb:ws://service}) take the gateway's way.
 */
public final class ExactRequestUrlFilter extends RouteToRequestUrlFilter {

	@Override
	public Mono<Void> filter(ServerWebExchange exchange, GatewayFilterChain chain) {
		Route route = exchange.getAttribute(ServerWebExchangeUtils.GATEWAY_ROUTE_ATTR);
		URI moved = (route != null) ? ExactUrls.onRoute(exchange.getRequest().getURI(), route.getUri()) : null;
		if (moved == null) {
			return super.filter(exchange, chain);
		}
		exchange.getAttributes().put(ServerWebExchangeUtils.GATEWAY_REQUEST_URL_ATTR, moved);
		return chain.filter(exchange);
	}

}
