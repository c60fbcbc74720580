package dev.balancer.routing;

import java.net.URI;
import java.util.Optional;
import java.util.Set;

import io.micrometer.core.instrument.MeterRegistry;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.jspecify.annotations.Nullable;
import reactor.core.publisher.Mono;
import reactor.netty.Connection;

import org.springframework.cloud.client.ServiceInstance;
import org.springframework.cloud.client.loadbalancer.Response;
import org.springframework.cloud.gateway.filter.GatewayFilter;
import org.springframework.cloud.gateway.filter.GatewayFilterChain;
import org.springframework.cloud.gateway.filter.ReactiveLoadBalancerClientFilter;
import org.springframework.cloud.gateway.support.NotFoundException;
import org.springframework.cloud.gateway.support.ServerWebExchangeUtils;
import org.springframework.core.Ordered;
import org.springframework.http.HttpMethod;
import org.springframework.http.HttpStatus;
import org.springframework.http.HttpStatusCode;
import org.springframework.web.server.ResponseStatusException;
import org.springframework.web.server.ServerWebExchange;

/**
 * Sends a request to another backend when an attempt fails, up to {@code balancer.retry.attempts} tries in all.
 * <ul>
 * <li>Could not connect: retried for every method, since nothing reached the backend.</li>
 * <li>Connection closed before the response: retried if the body can be sent again, and for POST and PATCH
 * only if the backend had not been sent any of it.</li>
 * <li>502, 503 or 504: retried for idempotent methods (GET, HEAD, OPTIONS, PUT, DELETE) whose body can be
 * sent again; every other response passes through unchanged.</li>
 * </ul>
 * When no backend can serve the request the client gets a 503. Each attempt runs the rest of the gateway's
 * filter chain again: the load-balancer filter asks {@link BackendLoadBalancer} for a backend, which leaves out
 * the ones this request has tried.
 * <p>
 * The gateway's Retry filter is not used: it caches every request body in memory (spring-cloud-gateway #3741)
 * and cannot tell a connect failure, safe to retry for POST, from a reset after the body was sent.
 */
public class FailoverFilter implements GatewayFilter, Ordered {

	/** Runs just before the gateway's load-balancer filter, so each attempt picks a backend anew. */
	public static final int ORDER = ReactiveLoadBalancerClientFilter.LOAD_BALANCER_CLIENT_FILTER_ORDER - 1;

	private static final Log logger = LogFactory.getLog(FailoverFilter.class);

	private static final Set<HttpMethod> IDEMPOTENT_METHODS = Set.of(HttpMethod.GET, HttpMethod.HEAD,
			HttpMethod.OPTIONS, HttpMethod.PUT, HttpMethod.DELETE);

	private static final Set<Integer> RETRYABLE_STATUSES = Set.of(502, 503, 504);

	private final int attempts;

	private final long bodyBufferSize;

	private final MeterRegistry meters;

	public FailoverFilter(int attempts, long bodyBufferSize, MeterRegistry meters) {
		this.attempts = attempts;
		this.bodyBufferSize = bodyBufferSize;
		this.meters = meters;
	}

	@Override
	public int getOrder() {
		return ORDER;
	}

	@Override
	public Mono<Void> filter(ServerWebExchange exchange, GatewayFilterChain chain) {
		boolean idempotent = IDEMPOTENT_METHODS.contains(exchange.getRequest().getMethod());
		ReplayableBody body = idempotent ? ReplayableBody.copying(exchange.getRequest(), this.bodyBufferSize)
				: ReplayableBody.unread(exchange.getRequest());
		URI balancedUrl = exchange.getRequiredAttribute(ServerWebExchangeUtils.GATEWAY_REQUEST_URL_ATTR);
		return new Failover(exchange, chain, balancedUrl, body, idempotent).attempt(1, null);
	}

	/** The attempts of one request. */
	private final class Failover {

		private final ServerWebExchange exchange;

		private final GatewayFilterChain chain;

		private final URI balancedUrl;

		private final ReplayableBody body;

		private final boolean idempotent;

		Failover(ServerWebExchange exchange, GatewayFilterChain chain, URI balancedUrl, ReplayableBody body,
				boolean idempotent) {
			this.exchange = exchange;
			this.chain = chain;
			this.balancedUrl = balancedUrl;
			this.body = body;
			this.idempotent = idempotent;
		}

		Mono<Void> attempt(int attempt, @Nullable String previousFailure) {
			// The load-balancer filter replaces lb://backends with the chosen backend's URL: undo it.
			this.exchange.getAttributes().put(ServerWebExchangeUtils.GATEWAY_REQUEST_URL_ATTR, this.balancedUrl);
			ServerWebExchange attemptExchange = this.exchange.mutate().request(this.body.nextAttempt()).build();
			return this.chain.filter(attemptExchange)
				.then(Mono.just(Optional.<Throwable>empty()))
				.onErrorResume((failure) -> Mono.just(Optional.of(failure)))
				.flatMap((failure) -> failure.isEmpty() ? afterResponse(attempt)
						: afterFailure(failure.get(), attempt, previousFailure));
		}

		private Mono<Void> afterResponse(int attempt) {
			HttpStatusCode status = this.exchange.getResponse().getStatusCode();
			if (status == null || !RETRYABLE_STATUSES.contains(status.value()) || !this.idempotent
					|| !this.body.canReplay() || attempt >= FailoverFilter.this.attempts) {
				return Mono.empty();
			}
			String reason = "status " + status.value();
			retrying("status_" + status.value(), reason);
			discardResponse();
			return attempt(attempt + 1, reason);
		}

		private Mono<Void> afterFailure(Throwable failure, int attempt, @Nullable String previousFailure) {
			if (failure instanceof NotFoundException) {
				discardResponse();
				String message = (previousFailure != null)
						? "No backend could serve the request; last failure: " + previousFailure
						: "No healthy backend available";
				return Mono.error(new ResponseStatusException(HttpStatus.SERVICE_UNAVAILABLE, message));
			}
			UpstreamFailure kind = UpstreamFailure.of(failure);
			String reason = UpstreamFailure.describe(failure);
			boolean bodyIntact = this.body.canReplay();
			if (kind != UpstreamFailure.OTHER && bodyIntact && attempt < FailoverFilter.this.attempts) {
				retrying(kind.tag(), reason);
				discardResponse();
				return attempt(attempt + 1, reason);
			}
			discardResponse();
			if (kind == UpstreamFailure.OTHER) {
				return Mono.error(failure);
			}
			if (bodyIntact) {
				return Mono.error(new ResponseStatusException(HttpStatus.SERVICE_UNAVAILABLE,
						"No backend could serve the request after " + attempt + " attempts; last failure: " + reason));
			}
			// The backend may have acted on what it was sent: not safe to send it again.
			return Mono.error(new ResponseStatusException(HttpStatus.BAD_GATEWAY,
					"The backend failed before responding (" + reason + ") and the request was not retried"));
		}

		private void retrying(String tag, String reason) {
			FailoverFilter.this.meters.counter("balancer.retries", "reason", tag).increment();
			if (logger.isDebugEnabled()) {
				logger.debug(this.exchange.getLogPrefix() + "retrying " + this.exchange.getRequest().getMethod() + " "
						+ this.exchange.getRequest().getPath() + " on another backend after " + reason + " from "
						+ chosenBackend());
			}
		}

		private String chosenBackend() {
			Response<ServiceInstance> chosen = this.exchange
				.getAttribute(ServerWebExchangeUtils.GATEWAY_LOADBALANCER_RESPONSE_ATTR);
			return (chosen != null && chosen.hasServer()) ? chosen.getServer().getInstanceId() : "unknown";
		}

		/**
		 * Releases the failed attempt's backend connection, the response headers it set and its choice of
		 * backend, so that nothing of it is mistaken for the next attempt's.
		 */
		private void discardResponse() {
			Connection connection = this.exchange.getAttribute(ServerWebExchangeUtils.CLIENT_RESPONSE_CONN_ATTR);
			if (connection != null) {
				connection.dispose();
			}
			this.exchange.getAttributes().remove(ServerWebExchangeUtils.CLIENT_RESPONSE_CONN_ATTR);
			this.exchange.getAttributes().remove(ServerWebExchangeUtils.CLIENT_RESPONSE_ATTR);
			this.exchange.getAttributes().remove(ServerWebExchangeUtils.GATEWAY_LOADBALANCER_RESPONSE_ATTR);
			ServerWebExchangeUtils.reset(this.exchange);
		}

	}

}
