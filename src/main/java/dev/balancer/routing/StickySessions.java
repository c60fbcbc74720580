package dev.balancer.routing;

import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.jspecify.annotations.Nullable;

import org.springframework.cloud.client.ServiceInstance;
import org.springframework.cloud.client.loadbalancer.Request;
import org.springframework.cloud.client.loadbalancer.RequestDataContext;
import org.springframework.http.ResponseCookie;
import org.springframework.util.MultiValueMap;

/**
 * Cookie-based affinity. The cookie names a backend by an opaque id derived from its URL alone, so every
 * balancer replica reads and writes the same ids without sharing any state, and the backend's address is
 * not disclosed to clients.
 */
public class StickySessions {

	private final String cookieName;

	private final @Nullable Duration maxAge;

	private final String sameSite;

	private final Map<String, ServiceInstance> backendsById = new HashMap<>();

	private final Map<String, String> idsByInstance = new HashMap<>();

	public StickySessions(List<ServiceInstance> backends, String cookieName, @Nullable Duration maxAge,
			String sameSite) {
		this.cookieName = cookieName;
		this.maxAge = maxAge;
		this.sameSite = sameSite;
		for (ServiceInstance backend : backends) {
			String id = String.format("%016x", Hashing.hash(backend.getInstanceId()));
			if (this.backendsById.putIfAbsent(id, backend) != null) {
				throw new IllegalStateException("Two backends share the sticky-session id " + id);
			}
			this.idsByInstance.put(backend.getInstanceId(), id);
		}
	}

	public String cookieName() {
		return this.cookieName;
	}

	/** The opaque id the cookie carries for this backend. */
	public String id(ServiceInstance backend) {
		String id = this.idsByInstance.get(backend.getInstanceId());
		if (id == null) {
			throw new IllegalArgumentException("Not a configured backend: " + backend.getInstanceId());
		}
		return id;
	}

	/** The candidate the request's cookie pins it to, or {@code null} if it has none among the candidates. */
	@Nullable ServiceInstance pinned(Request<?> request, List<ServiceInstance> candidates) {
		if (!(request.getContext() instanceof RequestDataContext context)) {
			return null;
		}
		MultiValueMap<String, String> cookies = context.getClientRequest().getCookies();
		String id = (cookies != null) ? cookies.getFirst(this.cookieName) : null;
		ServiceInstance pinned = (id != null) ? this.backendsById.get(id) : null;
		if (pinned == null) {
			return null;
		}
		for (int i = 0; i < candidates.size(); i++) {
			if (candidates.get(i).getInstanceId().equals(pinned.getInstanceId())) {
				return candidates.get(i);
			}
		}
		return null;
	}

	/**
	 * The cookie that pins a client to the backend; {@code Secure} when the client connected over TLS, and always
	 * with {@code SameSite=None}, which browsers refuse without it.
	 */
	public ResponseCookie cookie(ServiceInstance backend, boolean secure) {
		ResponseCookie.ResponseCookieBuilder cookie = ResponseCookie.from(this.cookieName, id(backend))
			.path("/")
			.httpOnly(true)
			.secure(secure || "none".equalsIgnoreCase(this.sameSite))
			.sameSite(this.sameSite);
		if (this.maxAge != null) {
			cookie.maxAge(this.maxAge);
		}
		return cookie.build();
	}

}
