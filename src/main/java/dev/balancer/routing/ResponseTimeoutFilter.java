package dev.balancer.routing;

import java.time.Duration;

import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

import dev.balancer.routing.UploadClock.Overdue;

import org.springframework.cloud.gateway.filter.GatewayFilter;
import org.springframework.cloud.gateway.filter.GatewayFilterChain;
import org.springframework.cloud.gateway.filter.NettyRoutingFilter;
import org.springframework.cloud.gateway.support.TimeoutException;
import org.springframework.core.Ordered;
import org.springframework.core.io.buffer.DataBuffer;
import org.springframework.http.HttpStatus;
import org.springframework.http.server.reactive.ServerHttpRequest;
import org.springframework.http.server.reactive.ServerHttpRequestDecorator;
import org.springframework.web.server.ResponseStatusException;
import org.springframework.web.server.ServerWebExchange;

/**
 * {@code balancer.timeouts.response} for each attempt: how long the gateway's routing filter may take to
 * connect, send the request and receive the response head. Expiry fails the attempt as the gateway's own
 * response timeout does, with a 504 {@link ResponseStatusException} caused by its {@link TimeoutException}, so
 * {@link FailoverFilter} can retry it.
 * <p>
 * The time a client takes to send a request body is not counted ({@link UploadClock}): a request with a body is
 * timed by its silences, the backend's against this timeout and the client's against
 * {@code balancer.timeouts.client}, whose expiry fails the attempt with a 408 caused by a
 * {@link StalledRequestException}. The gateway's timeout counted the whole upload, and cut every upload that took
 * longer.
 * <p>
 * The gateway's timeout (route metadata {@code response-timeout}) runs the same clock on Reactor's parallel
 * scheduler; this one runs on the request's event loop ({@link EventLoopTimers}). The balancer's route turns the
 * gateway's off.
 */
public class ResponseTimeoutFilter implements GatewayFilter, Ordered {

	private final Duration timeout;

	private final Duration clientTimeout;

	// One for all requests: the error is made when a timeout fires, not per request.
	private final Mono<Void> timedOut = Mono.error(this::expired);

	/**
	 * @param timeout longest wait for the backend: for the response head, and for it to take the body it was sent
	 * @param clientTimeout longest silence from a client in the middle of its request body
	 */
	public ResponseTimeoutFilter(Duration timeout, Duration clientTimeout) {
		this.timeout = timeout;
		this.clientTimeout = clientTimeout;
	}

	/** Right before the gateway's routing filter, whose result completes once the response head has arrived. */
	@Override
	public int getOrder() {
		return NettyRoutingFilter.ORDER - 1;
	}

	@Override
	public Mono<Void> filter(ServerWebExchange exchange, GatewayFilterChain chain) {
		ServerHttpRequest request = exchange.getRequest();
		if (!ReplayableBody.hasBody(request.getHeaders())) {
			return ContextCache.at(chain.filter(exchange).timeout(this.timeout, this.timedOut, EventLoopTimers.current()));
		}
		UploadClock clock = new UploadClock(this.timeout, this.clientTimeout, System::nanoTime);
		Flux<DataBuffer> body = clock.watch(request.getBody());
		ServerWebExchange watched = exchange.mutate().request(new ServerHttpRequestDecorator(request) {
			@Override
			public Flux<DataBuffer> getBody() {
				return body;
			}
		}).build();
		return ContextCache.at(chain.filter(watched)
			.timeout(clock.expiry(EventLoopTimers.current()), Mono.defer(() -> (clock.overdue() == Overdue.CLIENT)
					? Mono.error(stalled(clock.clientTimeout())) : this.timedOut)));
	}

	private static ResponseStatusException stalled(Duration timeout) {
		return new ResponseStatusException(HttpStatus.REQUEST_TIMEOUT, null, new StalledRequestException(timeout));
	}

	private ResponseStatusException expired() {
		String message = "Response took longer than timeout: " + this.timeout;
		return new ResponseStatusException(HttpStatus.GATEWAY_TIMEOUT, message, new TimeoutException(message));
	}

	/** A client fell silent in the middle of its request body for longer than {@code balancer.timeouts.client}. */
	public static final class StalledRequestException extends RuntimeException {

		public StalledRequestException(Duration timeout) {
			super("the client sent nothing for " + timeout.toMillis() + " ms in the middle of its request body", null,
					false, false);
		}

	}

}
