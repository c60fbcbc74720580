package dev.balancer.routing;

import java.net.URI;

import org.jspecify.annotations.Nullable;

/**
 * Backend URLs that keep the client's path and query exactly as sent: only scheme, host and port change.
 * <p>
 * Spring Cloud Gateway moves a request to its route's host, and then to the chosen backend, with Spring's
 * {@code UriComponentsBuilder}, which parses the query into parameters and writes them out again: repeated
 * parameters come out grouped by name ({@code ?a=1&b=2&a=3} reaches the backend as {@code ?a=1&a=3&b=2}), empty
 * ones are dropped ({@code ?=x&&y} becomes {@code ?x&y}), and double slashes in the path are merged
 * ({@code /a//b} becomes {@code /a/b}). nginx, HAProxy and the Go seed pass path and query on unchanged, and so
 * does the balancer: it copies the raw path and query of a URI that is already valid, so the result needs no
 * encoding step, and parsing it once is all the work. A client's user info and fragment are left behind (the
 * gateway kept them): neither is sent in a request, and kept, they made hosts such as {@code a@10.0.0.7} of a
 * target such as {@code @host/}, which connected nowhere and had the backend marked DOWN.
 */
final class ExactUrls {

	private ExactUrls() {
	}

	/**
	 * The URL with another scheme, host and port, its path and query as they were, and no user info or fragment.
	 * @param port the port, or -1 for none
	 */
	static URI moved(URI url, String scheme, String host, int port) {
		StringBuilder moved = new StringBuilder(64).append(scheme).append("://");
		boolean ipv6 = host.indexOf(':') >= 0 && host.charAt(0) != '[';
		if (ipv6) {
			moved.append('[').append(host).append(']');
		}
		else {
			moved.append(host);
		}
		if (port >= 0) {
			moved.append(':').append(port);
		}
		if (url.getRawPath() != null) {
			moved.append(url.getRawPath());
		}
		if (url.getRawQuery() != null) {
			moved.append('?').append(url.getRawQuery());
		}
		return URI.create(moved.toString());
	}

	/**
	 * The client's URL moved to a route's scheme, host and port, or {@code null} for a route URI without a host of
	 * its own (such as {@code lb:ws://service}), which the gateway's own rules handle.
	 */
	static @Nullable URI onRoute(URI request, URI route) {
		if (route.isOpaque() || route.getHost() == null || request.isOpaque()) {
			return null;
		}
		return moved(request, route.getScheme(), route.getHost(), route.getPort());
	}

}
