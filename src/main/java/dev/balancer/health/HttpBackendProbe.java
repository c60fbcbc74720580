package dev.balancer.health;

import java.time.Duration;

import io.netty.channel.ChannelOption;
import reactor.core.publisher.Mono;
import reactor.netty.http.client.HttpClient;
import reactor.netty.resources.ConnectionProvider;

import dev.balancer.routing.UpstreamFailure;

import org.springframework.cloud.client.ServiceInstance;

/**
 * Probes a backend with {@code GET <path>}: alive when it answers with a status below 500 within the timeout
 * (the seed's rule, so a 404 or 401 still counts as alive).
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

	public HttpBackendProbe(String path, Duration timeout) {
		this.path = path;
		this.timeout = timeout;
		// The whole probe is bounded by timeout() below; a second, equal response timeout in the client would
		// only race with it and report the same expiry under another name.
		this.client = HttpClient.create(ConnectionProvider.newConnection())
			.option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) Math.min(timeout.toMillis(), Integer.MAX_VALUE));
	}

	@Override
	public Mono<ProbeResult> probe(ServiceInstance backend) {
		return this.client.get()
			.uri(backend.getUri() + this.path)
			.response()
			.map((response) -> {
				int status = response.status().code();
				return (status < 500) ? ProbeResult.healthy() : ProbeResult.failed("status " + status);
			})
			.timeout(this.timeout, Mono.fromSupplier(() -> ProbeResult.failed("no answer within " + this.timeout)))
			.onErrorResume((ex) -> Mono.just(ProbeResult.failed(UpstreamFailure.describe(ex))));
	}

}
