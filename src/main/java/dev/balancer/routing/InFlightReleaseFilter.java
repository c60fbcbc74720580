package dev.balancer.routing;

import reactor.core.publisher.Mono;

import org.springframework.cloud.gateway.filter.GatewayFilter;
import org.springframework.cloud.gateway.filter.GatewayFilterChain;
import org.springframework.cloud.gateway.filter.NettyWriteResponseFilter;
import org.springframework.core.Ordered;
import org.springframework.web.server.ServerWebExchange;

/**
 * Ends the last attempt's in-flight count once the response has been written to the client, the exchange
 * failed or the client went away. It wraps the gateway's response writer, which streams the body after the
 * rest of the chain has completed.
 */
public class InFlightReleaseFilter implements GatewayFilter, Ordered {

	@Override
	public int getOrder() {
		return NettyWriteResponseFilter.WRITE_RESPONSE_FILTER_ORDER - 1;
	}

	@Override
	public Mono<Void> filter(ServerWebExchange exchange, GatewayFilterChain chain) {
		return chain.filter(exchange).doFinally((signal) -> InFlightRequests.release(exchange.getAttributes()));
	}

}
