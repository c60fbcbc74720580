package dev.balancer.config;

import java.net.URI;
import java.time.Duration;
import java.util.List;

import jakarta.validation.Valid;
import jakarta.validation.constraints.Max;
import jakarta.validation.constraints.Min;
import jakarta.validation.constraints.NotEmpty;
import jakarta.validation.constraints.NotNull;
import jakarta.validation.constraints.Pattern;
import org.hibernate.validator.constraints.time.DurationMin;
import org.jspecify.annotations.Nullable;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.util.unit.DataSize;
import org.springframework.validation.annotation.Validated;

/**
 * The operator's configuration under {@code balancer.*}: the backends and how they are checked and retried.
 * Every default lives here; invalid values stop start-up with a message naming the property.
 *
 * @param backends the backends to balance over, at least one, each URL listed once
 * @param healthCheck the active health check
 * @param retry how failed attempts are retried on other backends
 * @param trustedProxies addresses or CIDR ranges of proxies in front of the balancer whose
 * {@code X-Forwarded-*} headers are kept; from any other client they are replaced
 * @param strategy how a backend is picked for each request
 * @param consistentHash what the {@code consistent-hash} strategy hashes
 * @param stickySession cookie-based affinity of a client to a backend, on top of any strategy
 * @param slowStart ramp-up of a backend that comes back healthy
 */
@Validated
@ConfigurationProperties("balancer")
public record BalancerProperties(
		@NotEmpty(message = NO_BACKENDS) @UniqueBackendUrls List<@Valid @NotNull Backend> backends,
		@Valid @DefaultValue HealthCheck healthCheck, @Valid @DefaultValue Retry retry,
		@DefaultValue List<@IpRange String> trustedProxies, @DefaultValue("round-robin") Strategy strategy,
		@Valid @DefaultValue ConsistentHash consistentHash, @Valid @DefaultValue StickySession stickySession,
		@Valid @DefaultValue SlowStart slowStart) {

	private static final String NO_BACKENDS = "must list at least one backend, such as "
			+ "balancer.backends[0].url=http://localhost:8081";

	private static final String POSITIVE = "must be a positive duration such as 500ms, 2s or 1m";

	/** The characters of an HTTP token (RFC 9110), such as a header or cookie name. */
	private static final String TOKEN = "[A-Za-z0-9!#$%&'*+.^_`|~-]+";

	/**
	 * One backend server.
	 *
	 * @param url absolute http or https URL of the server, without path or query
	 * @param weight share of traffic relative to the other backends (1 to 256), used by
	 * {@code weighted-round-robin}, {@code least-connections}, {@code power-of-two-choices} and
	 * {@code consistent-hash}
	 */
	public record Backend(@NotNull @BackendUrl URI url, @DefaultValue("1") @Min(1) @Max(256) int weight) {
	}

	/**
	 * Active health check: every backend is probed concurrently each interval.
	 *
	 * @param interval time between the end of one round of probes and the start of the next
	 * @param timeout longest a single probe may take before the backend counts as down
	 * @param path request path probed; a backend is alive when it answers with a status below 500
	 */
	public record HealthCheck(@DefaultValue("20s") @DurationMin(millis = 1, message = POSITIVE) Duration interval,
			@DefaultValue("2s") @DurationMin(millis = 1, message = POSITIVE) Duration timeout,
			@DefaultValue("/") @Pattern(regexp = "/.*", message = "must start with /") String path) {
	}

	/**
	 * Retries on another backend.
	 *
	 * @param attempts tries per request in all, the first included
	 * @param bodyBufferSize request bodies of idempotent methods up to this size are kept in memory so that
	 * the request can be replayed on another backend after a 502, 503 or 504; larger bodies stream through
	 * and such a response is passed to the client
	 */
	public record Retry(@DefaultValue("3") @Min(1) int attempts,
			@DefaultValue("256KB") @NotNull DataSize bodyBufferSize) {
	}

	/** The strategies {@code balancer.strategy} names. */
	public enum Strategy {

		/** Each healthy backend in turn. */
		ROUND_ROBIN,

		/** In turn, in proportion to the weights, interleaved as nginx does. */
		WEIGHTED_ROUND_ROBIN,

		/** The backend with the fewest requests in flight for its weight. */
		LEAST_CONNECTIONS,

		/** The less busy of two backends picked at random. */
		POWER_OF_TWO_CHOICES,

		/** Any healthy backend, uniformly at random. */
		RANDOM,

		/** The same backend for the same key, see {@code balancer.consistent-hash.key}. */
		CONSISTENT_HASH

	}

	/**
	 * The {@code consistent-hash} strategy.
	 *
	 * @param key what identifies requests that belong together: {@code client-ip}, {@code path},
	 * {@code header:NAME} or {@code cookie:NAME}; a request without it is balanced round-robin
	 */
	public record ConsistentHash(@DefaultValue("client-ip") @Pattern(regexp = "client-ip|path|(header|cookie):"
			+ TOKEN, message = "must be client-ip, path, header:NAME or cookie:NAME") String key) {
	}

	/**
	 * Sticky sessions: the first response sets a cookie naming its backend, later requests carrying it go to
	 * that backend while it is healthy.
	 *
	 * @param enabled whether to pin clients to backends with a cookie
	 * @param cookieName name of the cookie
	 * @param maxAge lifetime of the cookie; none makes it a session cookie
	 * @param sameSite the cookie's SameSite attribute
	 */
	public record StickySession(@DefaultValue("false") boolean enabled,
			@DefaultValue("BALANCER") @Pattern(regexp = TOKEN, message = "must be a cookie name") String cookieName,
			@Nullable @DurationMin(seconds = 1, message = "must be at least 1s") Duration maxAge,
			@DefaultValue("lax") SameSite sameSite) {
	}

	/** Values of the SameSite cookie attribute. */
	public enum SameSite {

		STRICT("Strict"), LAX("Lax"), NONE("None");

		private final String attribute;

		SameSite(String attribute) {
			this.attribute = attribute;
		}

		public String attribute() {
			return this.attribute;
		}

	}

	/**
	 * Slow start.
	 *
	 * @param window time over which a backend that comes back healthy ramps from no traffic to its full
	 * share; none sends it a full share at once
	 */
	public record SlowStart(@Nullable @DurationMin(millis = 1, message = POSITIVE) Duration window) {
	}

}
