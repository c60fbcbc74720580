package dev.balancer.routing;

import java.net.URI;
import java.util.Collection;
import java.util.Locale;
import java.util.Set;
import java.util.stream.Collectors;

import org.jspecify.annotations.Nullable;

import org.springframework.cloud.gateway.filter.headers.HttpHeadersFilter;
import org.springframework.http.HttpHeaders;
import org.springframework.web.server.ServerWebExchange;

/**
 * Keeps clients on the balancer when a backend points them at itself: a {@code Location} or {@code Refresh}
 * header with an absolute URL naming a backend's own address ({@code http://10.0.0.5:8081/login}) reaches the
 * client as the path alone ({@code /login}), which the client resolves against the balancer's address, as nginx's
 * {@code proxy_redirect default} does. URLs naming anything else are passed on as they are.
 * <p>
 * The backend gets its own address in {@code Host} (unless {@code balancer.preserve-host} is set), so a backend that
 * builds absolute URLs from it, as many frameworks do for redirects, would otherwise send clients past the
 * balancer to an address they may not reach, and that bypasses it when they can. The gateway's
 * {@code RewriteLocationResponseHeader} filter does not fit: it puts the request's {@code Host} into every absolute
 * {@code Location}, redirects to other sites included, and keeps the backend's scheme, {@code http} where the
 * client came over TLS.
 */
public final class BackendRedirectsFilter implements HttpHeadersFilter {

	private static final String REFRESH = "Refresh";

	/** Normalized origins of the backends, as {@link Backends#id} writes them. */
	private final Set<String> backends;

	public BackendRedirectsFilter(Collection<URI> backendUrls) {
		this.backends = backendUrls.stream().map(Backends::id).collect(Collectors.toUnmodifiableSet());
	}

	@Override
	public boolean supports(Type type) {
		return type == Type.RESPONSE;
	}

	@Override
	public HttpHeaders filter(HttpHeaders input, ServerWebExchange exchange) {
		String location = input.getFirst(HttpHeaders.LOCATION);
		String refresh = input.getFirst(REFRESH);
		if (location == null && refresh == null) {
			return input; // most responses: nothing to look at, nothing copied
		}
		String relativeLocation = (location != null) ? relative(location) : null;
		String relativeRefresh = (refresh != null) ? relativeRefresh(refresh) : null;
		if (relativeLocation == null && relativeRefresh == null) {
			return input;
		}
		// The routing filter hands each response its own copy, which may be changed in place (NettyHeaders).
		HttpHeaders headers = (input instanceof NettyHeaders copied) ? copied : NettyHeaders.nettyCopyOf(input);
		if (relativeLocation != null) {
			headers.set(HttpHeaders.LOCATION, relativeLocation);
		}
		if (relativeRefresh != null) {
			headers.set(REFRESH, relativeRefresh);
		}
		return headers;
	}

	/**
	 * The URL without its scheme and authority when those name a backend: what follows them, starting with
	 * {@code /}. {@code null} when the URL is relative already or names anything else.
	 */
	@Nullable String relative(String url) {
		int schemeEnd = url.indexOf("://");
		if (schemeEnd <= 0) {
			return null;
		}
		String scheme = url.substring(0, schemeEnd).toLowerCase(Locale.ROOT);
		if (!scheme.equals("http") && !scheme.equals("https")) {
			return null;
		}
		int authorityStart = schemeEnd + 3;
		int authorityEnd = authorityEnd(url, authorityStart);
		String origin = origin(scheme, url.substring(authorityStart, authorityEnd));
		if (origin == null || !this.backends.contains(origin)) {
			return null;
		}
		String rest = url.substring(authorityEnd);
		String path = rest.startsWith("/") ? rest : "/" + rest;
		return readAsAnotherSite(path) ? "/." + path : path;
	}

	/**
	 * Whether browsers would read a path as the address of another site: one starting with {@code //} or with
	 * {@code /\}, which they read as {@code //} (tabs between skipped), is a URL without its scheme. A backend that
	 * redirects {@code //evil.example/x} to its own address with a slash added
	 * ({@code http://10.0.0.5:8081//evil.example/x/}), as frameworks do for directories, sent clients to
	 * {@code evil.example} once made a path: an open redirect, on a path the client chose. {@code /.} ahead keeps it a
	 * path on the balancer ({@code /.//evil.example/x/}, which clients resolve to {@code //evil.example/x/} there),
	 * as the WHATWG URL standard writes such a path.
	 */
	private static boolean readAsAnotherSite(String path) {
		int next = 1;
		while (next < path.length() && path.charAt(next) == '\t') {
			next++;
		}
		return next < path.length() && (path.charAt(next) == '/' || path.charAt(next) == '\\');
	}

	/** {@code Refresh: 5; url=http://backend/next}, as browsers read it, with the URL made relative. */
	private @Nullable String relativeRefresh(String refresh) {
		int url = refresh.toLowerCase(Locale.ROOT).indexOf("url=");
		if (url < 0) {
			return null;
		}
		int start = url + 4;
		while (start < refresh.length() && (refresh.charAt(start) == '\'' || refresh.charAt(start) == '"'
				|| refresh.charAt(start) == ' ')) {
			start++;
		}
		String relative = relative(refresh.substring(start));
		return (relative != null) ? refresh.substring(0, start) + relative : null;
	}

	/** Where the authority ends: at the path, query or fragment, or at a quote closing a quoted URL. */
	private static int authorityEnd(String url, int start) {
		for (int i = start; i < url.length(); i++) {
			char c = url.charAt(i);
			if (c == '/' || c == '?' || c == '#' || c == '\'' || c == '"' || c == ' ') {
				return i;
			}
		}
		return url.length();
	}

	/** {@code scheme://host:port} with the port written out, or {@code null} for an authority no backend has. */
	private static @Nullable String origin(String scheme, String authority) {
		if (authority.isEmpty() || authority.indexOf('@') >= 0) {
			return null; // backend URLs have no user information
		}
		int colon = authority.lastIndexOf(':');
		String host = authority;
		String port = "";
		if (colon > authority.lastIndexOf(']')) { // not a colon inside an IPv6 address
			host = authority.substring(0, colon);
			port = authority.substring(colon + 1);
		}
		if (port.isEmpty()) {
			port = scheme.equals("https") ? "443" : "80";
		}
		else if (port.length() > 5 || !port.chars().allMatch(Character::isDigit)) {
			return null;
		}
		else {
			port = Integer.toString(Integer.parseInt(port)); // 08081 is 8081
		}
		return scheme + "://" + host.toLowerCase(Locale.ROOT) + ":" + port;
	}

}
