package dev.balancer.config;

import java.net.URI;
import java.time.Duration;
import java.util.List;

import jakarta.validation.Valid;
import jakarta.validation.constraints.Min;
import jakarta.validation.constraints.NotEmpty;
import jakarta.validation.constraints.NotNull;
import jakarta.validation.constraints.Pattern;
import org.hibernate.validator.constraints.time.DurationMin;

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
 */
@Validated
@ConfigurationProperties("balancer")
public record BalancerProperties(
		@NotEmpty(message = NO_BACKENDS) @UniqueBackendUrls List<@Valid @NotNull Backend> backends,
		@Valid @DefaultValue HealthCheck healthCheck, @Valid @DefaultValue Retry retry,
		@DefaultValue List<@IpRange String> trustedProxies) {

	private static final String NO_BACKENDS = "must list at least one backend, such as "
			+ "balancer.backends[0].url=http://localhost:8081";

	private static final String POSITIVE = "must be a positive duration such as 500ms, 2s or 1m";

	/**
	 * One backend server.
	 *
	 * @param url absolute http or https URL of the server, without path or query
	 * @param weight share of traffic relative to the other backends, used by weighted strategies
	 */
	public record Backend(@NotNull @BackendUrl URI url, @DefaultValue("1") @Min(1) int weight) {
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

}
