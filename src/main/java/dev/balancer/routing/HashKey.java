package dev.balancer.routing;

import java.net.InetSocketAddress;
import java.util.List;
import java.util.Locale;

import org.jspecify.annotations.Nullable;

import org.springframework.cloud.client.loadbalancer.Request;
import org.springframework.cloud.client.loadbalancer.RequestData;
import org.springframework.cloud.client.loadbalancer.RequestDataContext;
import org.springframework.http.HttpHeaders;
import org.springframework.util.MultiValueMap;

/**
 * What {@link ConsistentHashStrategy} hashes, from {@code balancer.consistent-hash.key}: {@code client-ip},
 * {@code path}, {@code header:NAME} or {@code cookie:NAME}. Hashing reads the request in place and allocates
 * nothing.
 */
public abstract class HashKey {

	/** The hash of a request that lacks the key. */
	static final long NONE = 0;

	/** The key's hash for this request, or {@link #NONE}. */
	abstract long hash(RequestData request);

	long hash(Request<?> request) {
		if (request.getContext() instanceof RequestDataContext context) {
			return hash(context.getClientRequest());
		}
		return NONE;
	}

	/**
	 * Parses a validated {@code balancer.consistent-hash.key}. Behind a trusted proxy, {@code client-ip} is the
	 * first address of its {@code X-Forwarded-For}, or every client would look the same.
	 */
	public static HashKey parse(String key, List<AddressRange> trustedProxies) {
		if (key.equals("client-ip")) {
			return new ClientIp(trustedProxies);
		}
		if (key.equals("path")) {
			return new Path();
		}
		if (key.startsWith("header:")) {
			return new Header(key.substring("header:".length()));
		}
		if (key.startsWith("cookie:")) {
			return new Cookie(key.substring("cookie:".length()));
		}
		throw new IllegalArgumentException("Not a hash key: " + key);
	}

	private static long orNone(@Nullable String value) {
		return (value != null && !value.isEmpty()) ? Hashing.hash(value) : NONE;
	}

	private static final class Path extends HashKey {

		@Override
		long hash(RequestData request) {
			return orNone(request.getUrl().getRawPath());
		}

	}

	private static final class Header extends HashKey {

		private final String name;

		Header(String name) {
			// Lower case already, so that case-insensitive header maps find it without converting it per request.
			this.name = name.toLowerCase(Locale.ROOT);
		}

		@Override
		long hash(RequestData request) {
			HttpHeaders headers = request.getHeaders();
			return (headers != null) ? orNone(headers.getFirst(this.name)) : NONE;
		}

	}

	private static final class Cookie extends HashKey {

		private final String name;

		Cookie(String name) {
			this.name = name;
		}

		@Override
		long hash(RequestData request) {
			MultiValueMap<String, String> cookies = request.getCookies();
			return (cookies != null) ? orNone(cookies.getFirst(this.name)) : NONE;
		}

	}

	private static final class ClientIp extends HashKey {

		private final List<AddressRange> trustedProxies;

		ClientIp(List<AddressRange> trustedProxies) {
			this.trustedProxies = trustedProxies;
		}

		@Override
		long hash(RequestData request) {
			InetSocketAddress peer = ClientAddressFilter.clientAddress(request.getAttributes());
			if (peer == null || peer.getAddress() == null) {
				return NONE;
			}
			if (AddressRange.anyContains(this.trustedProxies, peer.getAddress()) && request.getHeaders() != null) {
				String forwardedFor = request.getHeaders().getFirst(ForwardingHeadersFilter.X_FORWARDED_FOR);
				if (forwardedFor != null) {
					return firstAddress(forwardedFor);
				}
			}
			// InetAddress.hashCode() is computed from the address bytes without copying them.
			return Hashing.hash(peer.getAddress().hashCode());
		}

		private static long firstAddress(String forwardedFor) {
			int end = forwardedFor.indexOf(',');
			return Hashing.hash(forwardedFor, 0, (end < 0) ? forwardedFor.length() : end);
		}

	}

}
