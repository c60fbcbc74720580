package dev.balancer.routing;

import java.time.Duration;

import reactor.core.publisher.Mono;

import org.springframework.cloud.gateway.filter.GatewayFilter;
import org.springframework.cloud.gateway.filter.GatewayFilterChain;
import org.springframework.cloud.gateway.filter.NettyRoutingFilter;
import org.springframework.cloud.gateway.support.TimeoutException;
import org.springframework.core.Ordered;
import org.springframework.http.HttpStatus;
import org.springframework.web.server.ResponseStatusException;
import org.springframework.web.server.ServerWebExchange;

/**
 * {@code balancer.timeouts.response} for each attempt: how long the gateway's routing filter may take to
 * connect, send the request and receive the response head. Expiry fails the attempt as the gateway's own
 * response timeout does, with a 504 {@link ResponseStatusException} caused by its {@link TimeoutException}, so
 * {@link FailoverFilter} can retry it.
 * <p>
 * The gateway's timeout (route metadata {@code response-timeout}) runs the same clock on Reactor's parallel
 * scheduler; this one runs on the request's event loop ({@link EventLoopTimers}). The balancer's route turns the
 * gateway's off.
 */
public class ResponseTimeoutFilter implements GatewayFilter, Ordered {

	private final Duration timeout;

	// One for all requests: the error is made when a timeout fires, not per request.
	private final Mono<Void> timedOut = Mono.error(this::expired);

	public ResponseTimeoutFilter(Duration timeout) {
		this.timeout = timeout;
	}

	/** Right before the gateway's routing filter, whose result completes once the response head has arrived. */
	@Override
	public int getOrder() {
		return NettyRoutingFilter.ORDER - 1;
	}

	@Override
	public Mono<Void> filter(ServerWebExchange exchange, GatewayFilterChain chain) {
		// A WebSocket session lasts as long as the handshake's result; the gateway's timeout does not cover it.
		if ("websocket".equalsIgnoreCase(exchange.getRequest().getHeaders().getUpgrade())) {
			return chain.filter(exchange);
		}
		return ContextCache.at(chain.filter(exchange).timeout(this.timeout, this.timedOut, EventLoopTimers.current()));
	}

	private ResponseStatusException expired() {
		String message = "Response took longer than timeout: " + this.timeout;
		return new ResponseStatusException(HttpStatus.GATEWAY_TIMEOUT, message, new TimeoutException(message));
	}

}
