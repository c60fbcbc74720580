package dev.balancer.routing;

import java.net.InetSocketAddress;
import java.util.Map;

import org.jspecify.annotations.Nullable;
import reactor.core.publisher.Mono;

import org.springframework.cloud.gateway.filter.GatewayFilter;
import org.springframework.cloud.gateway.filter.GatewayFilterChain;
import org.springframework.core.Ordered;
import org.springframework.web.server.ServerWebExchange;

/**
 * Hands the client's address to the load balancer, which sees the request only through the gateway's
 * {@code RequestData} (method, URL, headers, cookies and exchange attributes, but no connection).
 */
public class ClientAddressFilter implements GatewayFilter, Ordered {

	static final String ATTRIBUTE = ClientAddressFilter.class.getName() + ".address";

	@Override
	public int getOrder() {
		return FailoverFilter.ORDER - 1;
	}

	@Override
	public Mono<Void> filter(ServerWebExchange exchange, GatewayFilterChain chain) {
		InetSocketAddress address = exchange.getRequest().getRemoteAddress();
		if (address != null) {
			exchange.getAttributes().put(ATTRIBUTE, address);
		}
		return chain.filter(exchange);
	}

	static @Nullable InetSocketAddress clientAddress(Map<String, Object> attributes) {
		return (attributes.get(ATTRIBUTE) instanceof InetSocketAddress address) ? address : null;
	}

}
