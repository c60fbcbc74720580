package dev.balancer.routing;

import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

import io.netty.util.AsciiString;
import org.jspecify.annotations.Nullable;

import org.springframework.cloud.gateway.filter.headers.HttpHeadersFilter;
import org.springframework.http.HttpHeaders;
import org.springframework.http.server.reactive.ServerHttpRequest;
import org.springframework.web.server.ServerWebExchange;

/**
 * Tells the backend who the client is: {@code X-Forwarded-For} (the client's address), {@code X-Forwarded-Proto}
 * and {@code X-Forwarded-Host} (the scheme and Host the client used).
 * <p>
 * Headers a client sends itself are not believed: from a client outside {@code balancer.trusted-proxies} the
 * balancer replaces every {@code X-Forwarded-*} and {@code Forwarded} header with what it saw on the
 * connection. From a trusted proxy it keeps them and appends the proxy's address to {@code X-Forwarded-For},
 * as nginx and HAProxy do.
 * <p>
 * The gateway's own {@code XForwardedHeadersFilter} does not fit: it adds nothing at all for a client outside
 * its {@code trusted-proxies} pattern, and passes whatever that client sent on unchanged, so a backend could
 * neither see nor trust the client address.
 */
public class ForwardingHeadersFilter implements HttpHeadersFilter {

	static final String X_FORWARDED_FOR = "X-Forwarded-For";

	static final String X_FORWARDED_PROTO = "X-Forwarded-Proto";

	static final String X_FORWARDED_HOST = "X-Forwarded-Host";

	private static final List<String> CLIENT_SUPPLIED = List.of(X_FORWARDED_FOR, X_FORWARDED_PROTO,
			X_FORWARDED_HOST, "X-Forwarded-Port", "X-Forwarded-Prefix", "Forwarded");

	private final List<AddressRange> trustedProxies;

	public ForwardingHeadersFilter(List<AddressRange> trustedProxies) {
		this.trustedProxies = List.copyOf(trustedProxies);
	}

	@Override
	public HttpHeaders filter(HttpHeaders input, ServerWebExchange exchange) {
		ServerHttpRequest request = exchange.getRequest();
		InetSocketAddress peer = request.getRemoteAddress();
		String peerAddress = (peer != null && peer.getAddress() != null) ? peer.getAddress().getHostAddress() : null;
		boolean trusted = trusts(peer);

		// Over Netty's header set, which the routing filter copies on without Spring's name walks. A set the
		// hop-by-hop filter already copied is this request's own and is changed in place, not copied again.
		NettyHeaders headers = (input instanceof NettyHeaders copied) ? copied : NettyHeaders.nettyCopyOf(input);
		if (!trusted) {
			CLIENT_SUPPLIED.forEach(headers::remove);
			removeLookAlikes(headers);
		}
		String forwardedFor = trusted ? forwardedFor(headers) : null; // an untrusted client's were taken out
		if (peerAddress != null) {
			headers.set(X_FORWARDED_FOR, (forwardedFor != null) ? forwardedFor + ", " + peerAddress : peerAddress);
		}
		setIfAbsent(headers, X_FORWARDED_PROTO, request.getURI().getScheme());
		setIfAbsent(headers, X_FORWARDED_HOST, host(request));
		return headers;
	}

	/**
	 * Takes out the headers whose names are those of the forwarding headers with underscores for hyphens
	 * ({@code X_Forwarded_For}): servers that hand headers on CGI's way (Python's WSGI, PHP, Rack) read both
	 * spellings as one name, and a client's {@code X_Forwarded_For} came ahead of the balancer's own. nginx drops
	 * every header name with an underscore by default. A name with an underscore is rare, so the names are only
	 * scanned for one.
	 */
	private static void removeLookAlikes(NettyHeaders headers) {
		List<String> lookAlikes = null;
		for (Iterator<Map.Entry<CharSequence, CharSequence>> entries = headers.netty().iteratorCharSequence(); entries
			.hasNext();) {
			CharSequence name = entries.next().getKey();
			if (AsciiString.indexOf(name, '_', 0) >= 0 && isLookAlike(name.toString())) {
				lookAlikes = (lookAlikes != null) ? lookAlikes : new ArrayList<>(1);
				lookAlikes.add(name.toString());
			}
		}
		if (lookAlikes != null) {
			lookAlikes.forEach(headers.netty()::remove);
		}
	}

	private static boolean isLookAlike(String name) {
		String hyphenated = name.replace('_', '-');
		for (String supplied : CLIENT_SUPPLIED) {
			if (supplied.equalsIgnoreCase(hyphenated)) {
				return true;
			}
		}
		return false;
	}

	/**
	 * The addresses the client's {@code X-Forwarded-For} lines list, as one list: lines that repeat a field are one
	 * list, in order (RFC 9110 5.3), as HAProxy's {@code option forwardfor} sends them, a line of its own after the
	 * client's. Only the first line was kept, so the address HAProxy added was dropped, and one its client made up
	 * took its place in front of the balancer's.
	 */
	private static @Nullable String forwardedFor(HttpHeaders headers) {
		List<String> lines = headers.get(X_FORWARDED_FOR);
		if (lines == null || lines.isEmpty()) {
			return null;
		}
		return (lines.size() == 1) ? lines.get(0) : String.join(", ", lines);
	}

	/**
	 * The scheme the client used: the balancer's own connection's, unless a trusted proxy in front says otherwise
	 * in {@code X-Forwarded-Proto} (the first proxy's word comes first: {@code https, http} after a second one).
	 */
	public String clientScheme(ServerHttpRequest request) {
		String proto = trusts(request.getRemoteAddress()) ? request.getHeaders().getFirst(X_FORWARDED_PROTO) : null;
		if (proto == null || proto.isBlank()) {
			return request.getURI().getScheme();
		}
		int comma = proto.indexOf(',');
		return ((comma >= 0) ? proto.substring(0, comma) : proto).strip();
	}

	private boolean trusts(@Nullable InetSocketAddress peer) {
		return peer != null && AddressRange.anyContains(this.trustedProxies, peer.getAddress());
	}

	/**
	 * The Host the client asked for, or {@code null} when it named none: an HTTP/1.0 client may send no
	 * {@code Host}, and HTTP/1.1 allows an empty one. Then the backend gets no {@code X-Forwarded-Host} rather than
	 * a made-up one (Spring's request URI names the balancer's own address then, as Reactor Netty calls it, such
	 * as {@code localhost:8080}), which a backend that builds links on it would send clients to.
	 */
	private static @Nullable String host(ServerHttpRequest request) {
		String host = request.getHeaders().getFirst(HttpHeaders.HOST);
		return (host != null && !host.isEmpty()) ? host : null;
	}

	private static void setIfAbsent(HttpHeaders headers, String name, @Nullable String value) {
		if (value != null && !headers.containsHeader(name)) {
			headers.set(name, value);
		}
	}

}
