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
 * @param timeouts how long the balancer waits for backends
 * @param outlierDetection passive health: backends that keep failing live requests are ejected for a while
 * @param panic what to do when too few backends are healthy
 * @param debugHeaders whether responses tell the client how many attempts they took and which backend answered
 * ({@code X-Balancer-Attempts}, {@code X-Balancer-Backend}); off in production, it names backends
 * @param transport the network transport of the event loops that serve clients and talk to backends
 * @param accessLog one log line per request, with the backend that answered
 * @param preserveHost whether backends get the client's {@code Host} header instead of their own address, for
 * backends that serve by virtual host
 * @param maxConnections the most client connections open at once; more wait to be accepted
 */
@Validated
@ConfigurationProperties(prefix = "balancer", ignoreUnknownFields = false)
public record BalancerProperties(
		@NotEmpty(message = NO_BACKENDS) @UniqueBackendUrls List<@Valid @NotNull Backend> backends,
		@Valid @DefaultValue HealthCheck healthCheck, @Valid @DefaultValue Retry retry,
		@DefaultValue List<@IpRange String> trustedProxies, @DefaultValue("round-robin") Strategy strategy,
		@Valid @DefaultValue ConsistentHash consistentHash, @Valid @DefaultValue StickySession stickySession,
		@Valid @DefaultValue SlowStart slowStart, @Valid @DefaultValue Timeouts timeouts,
		@Valid @DefaultValue OutlierDetection outlierDetection, @Valid @DefaultValue Panic panic,
		@DefaultValue("false") boolean debugHeaders, @AvailableTransport @DefaultValue("auto") Transport transport,
		@Valid @DefaultValue AccessLog accessLog, @DefaultValue("false") boolean preserveHost,
		@DefaultValue("10000") @Min(1) int maxConnections) {

	private static final String NO_BACKENDS = "must list at least one backend, such as "
			+ "balancer.backends[0].url=http://localhost:8081";

	private static final String POSITIVE = "must be a positive duration such as 500ms, 2s or 1m";

	/** The characters of an HTTP token (RFC 9110), such as a header or cookie name. */
	private static final String TOKEN = "[A-Za-z0-9!#$%&'*+.^_`|~-]+";

	/**
	 * A path and query as a URL holds them: a probe of any other failed on every round, with the backend DOWN for
	 * "The URI contain illegal characters".
	 */
	private static final String PROBE_PATH = "/([A-Za-z0-9._~!$&'()*+,;=:@/?-]|%[0-9A-Fa-f]{2})*";

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
	 * @param interval time from the start of one round of probes to the start of the next, plus jitter; a round
	 * still running when the next is due makes that one skip
	 * @param timeout longest a single probe may take before the backend counts as down
	 * @param path request path probed; a backend is alive when it answers with an expected status
	 * @param expectedStatuses statuses that mean alive, as codes and ranges such as {@code 200-299,301}; the
	 * default, {@code 100-499}, is the seed's rule: anything below 500
	 * @param host {@code Host} header of the probes, for backends that serve by virtual host; none sends the
	 * backend's own host and port
	 * @param jitter up to this much random time is added to each interval, so that many balancer replicas do
	 * not probe in lockstep; none means a tenth of the interval
	 * @param healthyThreshold consecutive successful probes that bring a backend that is down back up
	 * (HAProxy's {@code rise})
	 * @param unhealthyThreshold consecutive failed probes that take a backend that is up down (HAProxy's
	 * {@code fall}); a request that cannot connect takes it down at once
	 */
	public record HealthCheck(@DefaultValue("20s") @DurationMin(millis = 1, message = POSITIVE) Duration interval,
			@DefaultValue("2s") @DurationMin(millis = 1, message = POSITIVE) Duration timeout,
			@DefaultValue("/") @Pattern(regexp = PROBE_PATH, message = "must start with /, with characters a URL may "
					+ "not hold percent-encoded (%20 for a space)") String path,
			@DefaultValue("100-499") @StatusRanges String expectedStatuses,
			@Nullable @Pattern(regexp = "[A-Za-z0-9.:\\[\\]-]+", message = "must be a host name, optionally with a port") String host,
			@Nullable @DurationMin(millis = 0, message = "must not be negative") Duration jitter,
			@DefaultValue("1") @Min(1) int healthyThreshold, @DefaultValue("1") @Min(1) int unhealthyThreshold) {

		/** The jitter to apply: the configured one, or a tenth of the interval. */
		public Duration effectiveJitter() {
			return (this.jitter != null) ? this.jitter : this.interval.dividedBy(10);
		}

	}

	/**
	 * Retries on another backend.
	 *
	 * @param attempts tries per request in all, the first included
	 * @param bodyBufferSize request bodies of idempotent methods up to this size are kept in memory so that
	 * the request can be replayed on another backend after a 502, 503, 504 or timeout; larger bodies stream
	 * through and are not sent again once sent
	 * @param bodyBufferTotal the most memory those kept bodies take together; a body that finds no room is not
	 * kept. None means a quarter of the heap.
	 * @param budget the share of traffic retries may add
	 * @param backoff the pause before each retry
	 */
	public record Retry(@DefaultValue("3") @Min(1) int attempts,
			@DefaultValue("256KB") @NotNull DataSize bodyBufferSize, @Nullable DataSize bodyBufferTotal,
			@Valid @DefaultValue Budget budget, @Valid @DefaultValue Backoff backoff) {

		/** {@link #bodyBufferTotal} in bytes, a quarter of the heap when unset. */
		public long effectiveBodyBufferTotal() {
			return (this.bodyBufferTotal != null) ? this.bodyBufferTotal.toBytes()
					: Runtime.getRuntime().maxMemory() / 4;
		}

	}

	/**
	 * Retry budget: over the last 10 seconds, retries may add at most {@code percent} of the requests, plus
	 * {@code minRetriesPerSecond}, so that a sick cluster is not hammered by retry storms.
	 *
	 * @param percent retries allowed as a share of requests
	 * @param minRetriesPerSecond retries always allowed, so that quiet services can still retry
	 */
	public record Budget(@DefaultValue("20") @Min(0) @Max(100) int percent,
			@DefaultValue("3") @Min(0) int minRetriesPerSecond) {
	}

	/**
	 * Exponential backoff with full jitter: before retry n, a random pause between 0 and
	 * {@code min(max, base * 2^(n-1))}.
	 *
	 * @param base the ceiling of the first pause
	 * @param max the highest ceiling
	 */
	public record Backoff(@DefaultValue("25ms") @DurationMin(millis = 0, message = "must not be negative") Duration base,
			@DefaultValue("250ms") @DurationMin(millis = 0, message = "must not be negative") Duration max) {
	}

	/**
	 * Timeouts of requests to backends. Only {@code read} cuts off a response that has started, and only when the
	 * backend falls silent: a long download streams for as long as it takes.
	 *
	 * @param connect longest wait for a connection to a backend; then the attempt is retried elsewhere
	 * @param response longest wait for a backend's response to begin, per attempt, and for it to take the request
	 * body it is sent; then an idempotent request is retried on another backend and any other gets a 504
	 * @param request longest wait for a response to begin across all attempts, backoff included; then 504
	 * @param read longest silence from a backend while its response is read, once the head has come (nginx's
	 * {@code proxy_read_timeout}); then a 502 if nothing reached the client yet, else its connection is closed.
	 * A WebSocket session is never cut. A client that takes none of a response for as long is cut off as well,
	 * as the client's doing (nginx's {@code send_timeout}): the balancer does not read from the backend meanwhile.
	 * @param client longest silence from a client in the middle of its request body (nginx's
	 * {@code client_body_timeout}); then a 408, not counted against the backend. The time a body takes to upload
	 * counts toward neither {@code response} nor {@code request}: only the backend's silence does.
	 */
	public record Timeouts(@DefaultValue("1s") @DurationMin(millis = 1, message = POSITIVE) Duration connect,
			@DefaultValue("30s") @DurationMin(millis = 1, message = POSITIVE) Duration response,
			@DefaultValue("60s") @DurationMin(millis = 1, message = POSITIVE) Duration request,
			@DefaultValue("60s") @DurationMin(millis = 1, message = POSITIVE) Duration read,
			@DefaultValue("60s") @DurationMin(millis = 1, message = POSITIVE) Duration client) {
	}

	/**
	 * Outlier detection (Envoy's {@code consecutive_5xx}): a backend whose live requests fail
	 * {@code consecutiveErrors} times in a row (connect failure, reset, timeout or a 5xx answer) is ejected
	 * from rotation for {@code baseEjectionTime} times the number of times it was ejected recently, however
	 * its health probes look.
	 *
	 * @param enabled whether to eject backends at all
	 * @param consecutiveErrors failures in a row that eject a backend
	 * @param baseEjectionTime ejection time the first time; each further ejection adds as much again
	 * @param maxEjectionTime the longest an ejection lasts
	 * @param maxEjectionPercent share of the backends that may be ejected at once, at least one backend
	 */
	public record OutlierDetection(@DefaultValue("true") boolean enabled,
			@DefaultValue("5") @Min(1) int consecutiveErrors,
			@DefaultValue("30s") @DurationMin(millis = 1, message = POSITIVE) Duration baseEjectionTime,
			@DefaultValue("5m") @DurationMin(millis = 1, message = POSITIVE) Duration maxEjectionTime,
			@DefaultValue("50") @Min(0) @Max(100) int maxEjectionPercent) {
	}

	/**
	 * Panic mode: when fewer than {@code threshold} percent of the backends are available (healthy and not
	 * ejected), the checks are more likely wrong than the backends, or the few left would drown.
	 *
	 * @param threshold share of available backends below which the balancer panics
	 * @param mode what it does then
	 */
	public record Panic(@DefaultValue("50") @Min(0) @Max(100) int threshold,
			@DefaultValue("healthy-only") PanicMode mode) {
	}

	/** What the balancer does in panic. */
	public enum PanicMode {

		/** Keep sending only to the available backends; with none, answer 503. The default. */
		HEALTHY_ONLY,

		/** Spread traffic over every configured backend, as Envoy does, and let retries find working ones. */
		ALL

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

	/**
	 * The access log: Reactor Netty's line per request (Common Log Format and the milliseconds it took), with the
	 * backend that answered and the number of attempts, on the logger {@code reactor.netty.http.server.AccessLog}.
	 *
	 * @param enabled whether to log every request
	 */
	public record AccessLog(@DefaultValue("false") boolean enabled) {
	}

	/** The network transports {@code balancer.transport} names. */
	public enum Transport {

		/** io_uring where the kernel allows it, else epoll, else NIO: Reactor Netty's own choice. The default. */
		AUTO,

		/** Linux io_uring, where the kernel offers it and no seccomp profile blocks it. */
		IO_URING,

		/** Linux epoll. */
		EPOLL,

		/** Java NIO, on any operating system. */
		NIO

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
