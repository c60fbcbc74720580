package dev.balancer.health;

import java.time.Duration;
import java.util.List;
import java.util.function.UnaryOperator;

import io.netty.channel.ChannelOption;
import io.netty.handler.codec.http.HttpHeaderNames;
import org.jspecify.annotations.Nullable;
import reactor.core.publisher.Mono;
import reactor.netty.http.HttpResources;
import reactor.netty.http.client.HttpClient;
import reactor.netty.resources.ConnectionProvider;
import reactor.netty.resources.LoopResources;

import dev.balancer.routing.UpstreamFailure;

import org.springframework.cloud.client.ServiceInstance;

/**
 * Probes a backend with {@code GET <path>}: alive when it answers within the timeout with an expected status
 * (by default below 500, the seed's rule, so a 404 or 401 still counts as alive).
 * <p>
 * Spring Cloud LoadBalancer's {@code HealthCheckServiceInstanceListSupplier} accepts only an exact 200 and
 * ties its timeout to the interval, hence this probe. Each probe opens its own connection instead of
 * borrowing one from the proxy's pool, so a busy pool can never make a healthy backend look dead and a
 * dead backend cannot hide behind a pooled keep-alive connection.
 */
public class HttpBackendProbe implements BackendProbe {

	private final HttpClient client;

	private final String path;

	private final Duration timeout;

	private final List<StatusRange> expectedStatuses;

	/**
	 * A probe that takes statuses below 500 for alive, on Reactor Netty's global event loops, with Reactor
	 * Netty's default TLS for {@code https} backends.
	 */
	public HttpBackendProbe(String path, Duration timeout) {
		this(path, timeout, List.of(new StatusRange(100, 499)), null, HttpResources.get(), UnaryOperator.identity());
	}

	/**
	 * @param path the path probed
	 * @param timeout the longest a probe may take
	 * @param expectedStatuses the statuses that mean alive
	 * @param host the {@code Host} header to send, or {@code null} for the backend's own
	 * @param loops the event loops to probe on
	 * @param customizer sets up the client, such as its TLS for {@code https} backends; the balancer passes the
	 * gateway's own ({@code spring.cloud.gateway.server.webflux.httpclient.ssl.*}), so a probe trusts exactly the
	 * backend certificates that proxied requests trust
	 */
	public HttpBackendProbe(String path, Duration timeout, List<StatusRange> expectedStatuses, @Nullable String host,
			LoopResources loops, UnaryOperator<HttpClient> customizer) {
		this.path = path;
		this.timeout = timeout;
		this.expectedStatuses = List.copyOf(expectedStatuses);
		// The whole probe is bounded by timeout() below; a second, equal response timeout in the client would
		// only race with it and report the same expiry under another name.
		HttpClient client = customizer.apply(HttpClient.create(ConnectionProvider.newConnection())
			.runOn(loops)
			.option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) Math.min(timeout.toMillis(), Integer.MAX_VALUE)));
		this.client = (host != null) ? client.headers((headers) -> headers.set(HttpHeaderNames.HOST, host)) : client;
	}

	@Override
	public Mono<ProbeResult> probe(ServiceInstance backend) {
		return this.client.get()
			.uri(backend.getUri() + this.path)
			.response()
			.map((response) -> {
				int status = response.status().code();
				return expected(status) ? ProbeResult.healthy() : ProbeResult.failed("status " + status);
			})
			.timeout(this.timeout,
					Mono.fromSupplier(() -> ProbeResult.failed("no answer within " + this.timeout.toMillis() + " ms")))
			.onErrorResume((ex) -> Mono.just(ProbeResult.failed(UpstreamFailure.describe(ex))));
	}

	private boolean expected(int status) {
		for (StatusRange range : this.expectedStatuses) {
			if (range.contains(status)) {
				return true;
			}
		}
		return false;
	}

}
