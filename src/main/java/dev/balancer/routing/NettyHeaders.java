package dev.balancer.routing;

import java.io.Serial;

import io.netty.handler.codec.http.DefaultHttpHeaders;

import org.springframework.http.HttpHeaders;
import org.springframework.http.support.Netty4HeadersAdapter;

/**
 * Spring's {@link HttpHeaders} over a set of Netty's headers that the balancer's header steps hand on to each
 * other, with the Netty headers at hand.
 * <p>
 * Every walk over Spring's {@code HttpHeaders} ({@code forEach}, {@code addAll}, {@code headerNames}) first copies
 * all names into a new case-insensitive map, and the gateway's routing filter walked each proxied request's and
 * response's headers so three times (docs/performance-log.md, tenth round). When a header filter hands on headers of
 * this class, {@link LeanNettyRoutingFilter} copies the Netty headers underneath entry by entry instead. Headers
 * of any other class, such as those a developer's header filter returns, take Spring's way.
 * <p>
 * Every instance is a copy made for one request or response by the header step that returns it, so a later step
 * may change it in place instead of copying it again.
 */
final class NettyHeaders extends HttpHeaders {

	@Serial
	private static final long serialVersionUID = 1L;

	private final transient io.netty.handler.codec.http.HttpHeaders netty;

	NettyHeaders(io.netty.handler.codec.http.HttpHeaders netty) {
		super(new Netty4HeadersAdapter(netty));
		this.netty = netty;
	}

	/** A copy of {@code headers}, every name with all its values, in their order. */
	static NettyHeaders nettyCopyOf(HttpHeaders headers) {
		NettyHeaders copy = new NettyHeaders(new DefaultHttpHeaders());
		headers.forEach(copy.netty::add);
		return copy;
	}

	/** The Netty headers underneath: changing them changes these. */
	io.netty.handler.codec.http.HttpHeaders netty() {
		return this.netty;
	}

}
