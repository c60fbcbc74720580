package dev.balancer.routing;

import java.util.function.BooleanSupplier;

import org.springframework.cloud.gateway.filter.headers.HttpHeadersFilter;
import org.springframework.core.Ordered;
import org.springframework.http.HttpHeaders;
import org.springframework.web.server.ServerWebExchange;

/**
 * While the balancer drains (from {@code SIGTERM} on), backend responses go to their clients with
 * {@code Connection: close}, as nginx, HAProxy and Envoy mark the last response of a connection they are closing.
 * Reactor Netty closed the connection right after such a response without saying so beforehand, and a keep-alive
 * client that sent its next request just then had it reset. Over HTTP/2 Netty leaves the header out, and Reactor
 * Netty's {@code GOAWAY} tells the client instead.
 */
public final class DrainingResponsesFilter implements HttpHeadersFilter, Ordered {

	private final BooleanSupplier draining;

	/**
	 * @param draining whether the drain has begun
	 */
	public DrainingResponsesFilter(BooleanSupplier draining) {
		this.draining = draining;
	}

	@Override
	public HttpHeaders filter(HttpHeaders input, ServerWebExchange exchange) {
		if (!this.draining.getAsBoolean()) {
			return input;
		}
		HttpHeaders closing = new HttpHeaders(); // a copy: a filter before may have handed on a read-only set
		closing.putAll(input);
		closing.set(HttpHeaders.CONNECTION, "close");
		return closing;
	}

	@Override
	public boolean supports(Type type) {
		return type == Type.RESPONSE;
	}

	/** After the gateway's hop-by-hop filter, which takes the backend's {@code Connection} out. */
	@Override
	public int getOrder() {
		return Ordered.LOWEST_PRECEDENCE;
	}

}
