package dev.balancer.routing;

import org.reactivestreams.Publisher;
import reactor.core.publisher.Mono;

import org.springframework.cloud.gateway.filter.GatewayFilter;
import org.springframework.cloud.gateway.filter.GatewayFilterChain;
import org.springframework.cloud.gateway.filter.NettyWriteResponseFilter;
import org.springframework.core.Ordered;
import org.springframework.core.io.buffer.DataBuffer;
import org.springframework.core.io.buffer.DataBufferUtils;
import org.springframework.http.HttpMethod;
import org.springframework.http.HttpStatusCode;
import org.springframework.http.server.reactive.ServerHttpResponse;
import org.springframework.http.server.reactive.ServerHttpResponseDecorator;
import org.springframework.web.server.ServerWebExchange;

/**
 * Sends a backend's response of at most {@value #MAX_BODY_BYTES} bytes with a known length to the client in a
 * single write: status line, headers and body together.
 * <p>
 * The gateway streams every response body: Reactor Netty writes and flushes the head, and the body once that
 * write completed, so a small response cost two {@code send} system calls where one does, and the client two
 * wake-ups. {@code send} is the largest item of the balancer's CPU profile (19%); with the body handed over
 * whole, 2 instead of 3 per proxied request, and about 10% less CPU per request at 10 ms backend delay and 256
 * connections (docs/performance.md). Larger bodies, bodies of unknown length (chunked, event streams) and
 * responses without a body are streamed as before.
 * <p>
 * When the backend's response breaks off before such a body is complete, nothing has gone to the client yet:
 * it gets a 502 instead of a response cut short.
 */
public class SingleWriteResponseFilter implements GatewayFilter, Ordered {

	/** The largest body held back until complete. */
	public static final int MAX_BODY_BYTES = 16 * 1024;

	@Override
	public int getOrder() {
		// Before the gateway's response writer, which writes to the response of the exchange it is given.
		return NettyWriteResponseFilter.WRITE_RESPONSE_FILTER_ORDER - 1;
	}

	@Override
	public Mono<Void> filter(ServerWebExchange exchange, GatewayFilterChain chain) {
		if (exchange.getRequest().getMethod() == HttpMethod.HEAD) {
			return chain.filter(exchange);
		}
		return chain.filter(exchange.mutate().response(new SingleWriteResponse(exchange.getResponse())).build());
	}

	private static final class SingleWriteResponse extends ServerHttpResponseDecorator {

		SingleWriteResponse(ServerHttpResponse delegate) {
			super(delegate);
		}

		@Override
		public Mono<Void> writeWith(Publisher<? extends DataBuffer> body) {
			long length = getHeaders().getContentLength();
			HttpStatusCode status = getStatusCode();
			if (body instanceof Mono || length <= 0 || length > MAX_BODY_BYTES
					|| (status != null && (status.is1xxInformational() || status.value() == 204
							|| status.value() == 304))) {
				return super.writeWith(body);
			}
			return super.writeWith(
					DataBufferUtils.join(body, MAX_BODY_BYTES).onErrorMap(ErrorAnswer::responseBrokeOff));
		}

	}

}
