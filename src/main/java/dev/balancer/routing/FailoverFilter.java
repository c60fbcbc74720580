package dev.balancer.routing;

import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Supplier;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.jspecify.annotations.Nullable;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Scheduler;
import reactor.netty.Connection;

import dev.balancer.metrics.BufferMemory;

import org.springframework.cloud.client.ServiceInstance;
import org.springframework.cloud.client.loadbalancer.Response;
import org.springframework.cloud.gateway.filter.GatewayFilter;
import org.springframework.cloud.gateway.filter.GatewayFilterChain;
import org.springframework.cloud.gateway.filter.ReactiveLoadBalancerClientFilter;
import org.springframework.cloud.gateway.support.NotFoundException;
import org.springframework.cloud.gateway.support.ServerWebExchangeUtils;
import org.springframework.core.Ordered;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpMethod;
import org.springframework.http.HttpStatus;
import org.springframework.http.HttpStatusCode;
import org.springframework.web.server.ServerWebExchange;

/**
 * Sends a request to another backend when an attempt fails, up to {@code balancer.retry.attempts} tries in all.
 * <ul>
 * <li>Could not connect: retried for every method, since nothing reached the backend.</li>
 * <li>Connection closed before the response: retried if the body can be sent again, and for POST and PATCH
 * only if the backend had not been sent any of it.</li>
 * <li>No response within the response timeout, or a 502, 503 or 504: retried for idempotent methods (GET, HEAD,
 * OPTIONS, PUT, DELETE) whose body can be sent again; a timed-out POST gets a 504, every other response
 * passes through unchanged.</li>
 * <li>A response that is not valid HTTP: not retried, as by nginx by default; the client gets a 502.</li>
 * <li>The client stopped sending its body ({@link ResponseTimeoutFilter}): not retried; the client gets a 408.</li>
 * <li>The client's body broke off ({@link BrokenRequestException}), mostly because the client went away: not
 * retried; a 400.</li>
 * <li>Netty had no buffer memory to read the client's body into ({@link OutOfBufferMemoryException}): not
 * retried; a 503.</li>
 * </ul>
 * Retries wait a short random backoff and must fit the {@link RetryBudget}; the whole request, retries
 * included, must begin to be answered within the request timeout, counted from the end of its body. When no
 * backend can serve the request the client gets a 503. Each attempt runs the rest of the gateway's filter chain
 * again: the load-balancer filter asks {@link BackendLoadBalancer} for a backend, which leaves out the ones this
 * request has tried.
 * <p>
 * The gateway's Retry filter is not used: it caches every request body in memory (spring-cloud-gateway #3741),
 * cannot tell a connect failure, safe to retry for POST, from a reset after the body was sent, and has no
 * retry budget.
 */
public class FailoverFilter implements GatewayFilter, Ordered {

	/** Runs just before the gateway's load-balancer filter, so each attempt picks a backend anew. */
	public static final int ORDER = ReactiveLoadBalancerClientFilter.LOAD_BALANCER_CLIENT_FILTER_ORDER - 1;

	/** Description of {@code balancer.timeouts}. */
	private static final String TIMEOUTS_DESCRIPTION = "Requests that hit a timeout: a try without a response in time, "
			+ "the whole request, a response that fell silent, or a client that stopped sending its request";

	static final String ATTEMPTS_HEADER = "X-Balancer-Attempts";

	static final String BACKEND_HEADER = "X-Balancer-Backend";

	private static final Log logger = LogFactory.getLog(FailoverFilter.class);

	private static final Set<HttpMethod> IDEMPOTENT_METHODS = Set.of(HttpMethod.GET, HttpMethod.HEAD,
			HttpMethod.OPTIONS, HttpMethod.PUT, HttpMethod.DELETE);

	private static final Set<Integer> RETRYABLE_STATUSES = Set.of(502, 503, 504);

	/** Methods not sent on, answered with a 405 ({@link #filter}). */
	private static final Set<String> REFUSED_METHODS = Set.of("CONNECT", "TRACE");

	/** What the {@code Allow} header of the answer to a refused method lists: the other standard methods. */
	/** The {@code Allow} header of the 405 to a refused method: the methods the balancer proxies. */
	private static final String PROXIED_METHODS = Stream.of(HttpMethod.values())
		.map(HttpMethod::name)
		.filter((method) -> !REFUSED_METHODS.contains(method))
		.collect(Collectors.joining(","));

	private final Settings settings;

	/** The lines of requests failed by backends, and of those the client failed ({@link LogBudget}). */
	private final LogBudget failureLines = new LogBudget();

	private final LogBudget clientFailureLines = new LogBudget();

	/** Whether the event loops are stopping: failures then are the stop's, not the backends' ({@link Stopping}). */
	private final Stopping stopping;

	private final RetryBudget budget;

	/** {@code balancer.retries}, by {@code reason}. */
	private final Meter.MeterProvider<Counter> retries;

	private final Counter budgetExhausted;

	private final ReplayMemory replayMemory;

	private final Counter requestTimeouts;

	private final Counter responseTimeouts;

	private final Counter clientTimeouts;

	/** The backends the load balancer chooses among now; {@code null} where they are not known here. */
	private final @Nullable Supplier<List<ServiceInstance>> backends;

	public FailoverFilter(Settings settings, RetryBudget budget, ReplayMemory replayMemory, MeterRegistry meters) {
		this(settings, budget, replayMemory, meters, new Stopping(), null);
	}

	/**
	 * A filter for the requests of the load balancer's backends.
	 *
	 * @param backends the backends the load balancer chooses among now, which tell whether a backend's 502, 503 or
	 * 504 can be retried on another
	 */
	public FailoverFilter(Settings settings, RetryBudget budget, ReplayMemory replayMemory, MeterRegistry meters,
			Stopping stopping, @Nullable Supplier<List<ServiceInstance>> backends) {
		this.backends = backends;
		this.stopping = stopping;
		this.settings = settings;
		this.budget = budget;
		this.replayMemory = replayMemory;
		this.retries = Counter.builder("balancer.retries")
			.description("Attempts retried on another backend, by what the attempt met")
			.withRegistry(meters);
		// at 0 from the start, so that queries over them find a count before the first retry
		Stream.of(UpstreamFailure.CONNECT, UpstreamFailure.RESET, UpstreamFailure.TIMEOUT)
			.forEach((kind) -> this.retries.withTag("reason", kind.tag()));
		RETRYABLE_STATUSES.forEach((status) -> this.retries.withTag("reason", "status_" + status));
		this.budgetExhausted = Counter.builder("balancer.retries.budget.exhausted")
			.description("Retries not made because the retry budget was spent")
			.register(meters);
		this.requestTimeouts = timeouts(meters, "request");
		this.responseTimeouts = timeouts(meters, "response");
		this.clientTimeouts = timeouts(meters, "client");
	}

	/**
	 * The count of {@code balancer.timeouts} with the tag {@code timeout}; the backend connections count theirs
	 * ({@code read}, and {@code client} for a response its client took none of) in the same counters.
	 */
	public static Counter timeouts(MeterRegistry meters, String timeout) {
		return Counter.builder("balancer.timeouts")
			.description(TIMEOUTS_DESCRIPTION)
			.tag("timeout", timeout)
			.register(meters);
	}

	@Override
	public int getOrder() {
		return ORDER;
	}

	@Override
	public Mono<Void> filter(ServerWebExchange exchange, GatewayFilterChain chain) {
		String method = exchange.getRequest().getMethod().name();
		if (REFUSED_METHODS.contains(method)) {
			// CONNECT: the balancer proxies requests and opens no tunnels. Sent on, a CONNECT got the backend's 200
			// head without its body, and the client waited on a tunnel until the idle timeout; nginx answers 400.
			// TRACE: echoes the request, the headers the balancer adds included, and is what security scans report
			// as enabled on a server; nginx answers it with 405 too.
			return Mono.error(ErrorAnswer.methodNotAllowed(method, PROXIED_METHODS));
		}
		this.budget.recordRequest();
		boolean idempotent = IDEMPOTENT_METHODS.contains(exchange.getRequest().getMethod());
		ReplayableBody body = idempotent
				? ReplayableBody.copying(exchange.getRequest(), this.settings.bodyBufferSize(), this.replayMemory)
				: ReplayableBody.unread(exchange.getRequest());
		URI balancedUrl = exchange.getRequiredAttribute(ServerWebExchangeUtils.GATEWAY_REQUEST_URL_ATTR);
		Failover failover = new Failover(exchange, chain, balancedUrl, body, idempotent);
		Scheduler timers = EventLoopTimers.current();
		Mono<Void> timedOut = Mono.defer(failover::timedOut);
		Mono<Void> attempts = failover.attempt(1, null);
		// The time the client takes to send a body does not count, as in Envoy: the request timeout starts when the
		// body has come, and a client that stops sending is ResponseTimeoutFilter's.
		Duration timeout = this.settings.requestTimeout();
		Mono<Long> expiry = body.hasBody() ? body.received().then(Mono.delay(timeout, timers))
				: Mono.delay(timeout, timers);
		// Marked before the attempt under way is called off, so that it is counted as the backend's timeout and
		// not as a client gone away (ExactUrlLoadBalancerClientFilter).
		Mono<Void> request = attempts.timeout(expiry.doOnNext((expired) -> exchange.getAttributes()
			.put(ExactUrlLoadBalancerClientFilter.REQUEST_TIMED_OUT_ATTR, timeout)), timedOut);
		return ContextCache.at(body.keepsCopies() ? request.doFinally((signal) -> body.release()) : request);
	}

	/**
	 * How requests are retried.
	 *
	 * @param attempts tries per request in all
	 * @param bodyBufferSize the largest request body of an idempotent request kept to be sent again
	 * @param backoffBase the ceiling of the pause before the first retry
	 * @param backoffMax the highest ceiling of a pause
	 * @param requestTimeout longest wait for a response to begin, all tries included
	 * @param debugHeaders whether to tell the client the attempts and the backend in response headers
	 * @param accessLog whether to tell the access log the attempts and the backend ({@link BackendAccessLog})
	 */
	public record Settings(int attempts, long bodyBufferSize, Duration backoffBase, Duration backoffMax,
			Duration requestTimeout, boolean debugHeaders, boolean accessLog) {

		/** A random pause before retry {@code retry} (1 for the first): full jitter up to an exponential ceiling. */
		Duration backoff(int retry) {
			long ceiling = Math.min(this.backoffMax.toNanos(),
					this.backoffBase.toNanos() << Math.min(retry - 1, 20));
			return (ceiling <= 0) ? Duration.ZERO : Duration.ofNanos(ThreadLocalRandom.current().nextLong(ceiling + 1));
		}

	}

	/** The attempts of one request. */
	private final class Failover {

		private final ServerWebExchange exchange;

		private final GatewayFilterChain chain;

		private final URI balancedUrl;

		private final ReplayableBody body;

		private final boolean idempotent;

		/** The backend of the last attempt that was retried, for the log. */
		private @Nullable String retriedBackend;

		/** Attempts made so far, the one under way included. */
		private int attempts;

		/** The backend the request ended with, once it has. */
		private @Nullable String endedWith;

		/** Whether a retry was not made because the retry budget was spent. */
		private boolean budgetSpent;

		Failover(ServerWebExchange exchange, GatewayFilterChain chain, URI balancedUrl, ReplayableBody body,
				boolean idempotent) {
			this.exchange = exchange;
			this.chain = chain;
			this.balancedUrl = balancedUrl;
			this.body = body;
			this.idempotent = idempotent;
			if (FailoverFilter.this.settings.debugHeaders()) {
				// As the response goes out, whoever made it: a backend, the balancer's own answer to a request that
				// failed (after the error handler has cleared the headers), a WebSocket session's 101 (inside its
				// attempt, before afterResponse).
				exchange.getResponse().beforeCommit(() -> {
					debugHeaders();
					return Mono.empty();
				});
			}
		}

		Mono<Void> attempt(int attempt, @Nullable String previousFailure) {
			this.attempts = attempt;
			// The load-balancer filter replaces lb://backends with the chosen backend's URL: undo it.
			this.exchange.getAttributes().put(ServerWebExchangeUtils.GATEWAY_REQUEST_URL_ATTR, this.balancedUrl);
			ServerWebExchange attemptExchange = this.exchange.mutate().request(this.body.nextAttempt()).build();
			return this.chain.filter(attemptExchange)
				.then(Mono.just(Optional.<Throwable>empty()))
				.onErrorResume((failure) -> Mono.just(Optional.of(failure)))
				.flatMap((failure) -> failure.isEmpty() ? afterResponse(attempt)
						: afterFailure(failure.get(), attempt, previousFailure));
		}

		Mono<Void> timedOut() {
			FailoverFilter.this.requestTimeouts.increment();
			String chosen = chosenBackend();
			String backend = (chosen != null) ? chosen : this.retriedBackend;
			logged(backend);
			return failed(HttpStatus.GATEWAY_TIMEOUT, "No response within the request timeout of "
					+ FailoverFilter.this.settings.requestTimeout().toMillis() + " ms", backend);
		}

		private Mono<Void> afterResponse(int attempt) {
			HttpStatusCode status = this.exchange.getResponse().getStatusCode();
			if (status != null && RETRYABLE_STATUSES.contains(status.value()) && this.idempotent
					&& this.body.canReplay() && attempt < FailoverFilter.this.settings.attempts()
					&& anUntriedBackendRemains()) {
				String reason = "status " + status.value();
				if (mayRetry("status_" + status.value(), reason)) {
					this.retriedBackend = chosenBackend();
					discardResponse();
					return retry(attempt, reason);
				}
			}
			logged(chosenBackend());
			return Mono.empty();
		}

		private Mono<Void> afterFailure(Throwable failure, int attempt, @Nullable String previousFailure) {
			if (failure instanceof NotFoundException) {
				discardResponse();
				this.attempts = attempt - 1; // this one found no backend to go to
				logged(this.retriedBackend);
				if (previousFailure == null) {
					// Not logged per request: the backends' health changes are logged as they happen.
					return Mono.error(ErrorAnswer.of(HttpStatus.SERVICE_UNAVAILABLE, "No healthy backend available"));
				}
				return failed(HttpStatus.SERVICE_UNAVAILABLE,
						"No backend could serve the request; last failure: " + previousFailure, this.retriedBackend);
			}
			UpstreamFailure kind = UpstreamFailure.of(failure);
			String reason = UpstreamFailure.describe(failure);
			if (FailoverFilter.this.stopping.isUnderWay()) {
				String backend = chosenBackend();
				discardResponse();
				logged(backend);
				return stopping(reason);
			}
			if (kind == UpstreamFailure.TIMEOUT) {
				FailoverFilter.this.responseTimeouts.increment();
			}
			else if (kind == UpstreamFailure.CLIENT_TIMEOUT) {
				FailoverFilter.this.clientTimeouts.increment();
			}
			boolean retryable = switch (kind) {
				case CONNECT, RESET -> this.body.canReplay();
				case TIMEOUT -> this.idempotent && this.body.canReplay();
				// an invalid response, as by nginx by default: the backend acted on the request and answered, if badly
				case INVALID_RESPONSE, CLIENT_TIMEOUT, CLIENT_ABORT, NO_BUFFER_MEMORY, OTHER -> false;
			};
			if (retryable && attempt < FailoverFilter.this.settings.attempts() && mayRetry(kind.tag(), reason)) {
				this.retriedBackend = chosenBackend();
				discardResponse();
				return retry(attempt, reason);
			}
			String backend = chosenBackend();
			discardResponse();
			logged(backend);
			return switch (kind) {
				case OTHER -> Mono.error(failure);
				case TIMEOUT -> failed(HttpStatus.GATEWAY_TIMEOUT,
						"The backend did not respond in time (attempt " + attempt + ")", backend);
				case INVALID_RESPONSE -> failed(HttpStatus.BAD_GATEWAY, "The backend sent an " + reason, backend);
				case CLIENT_TIMEOUT -> clientFailed(HttpStatus.REQUEST_TIMEOUT, "The request timed out: " + reason);
				// Usually heard by no one: the client is gone.
				case CLIENT_ABORT -> clientFailed(HttpStatus.BAD_REQUEST, "The request broke off: " + reason);
				case NO_BUFFER_MEMORY -> outOfBufferMemory();
				case CONNECT, RESET -> this.body.canReplay()
						? failed(HttpStatus.SERVICE_UNAVAILABLE, "No backend could serve the request after "
								+ attemptsMade(attempt) + "; last failure: " + reason, backend)
						// The backend may have acted on what it was sent: not safe to send it again.
						: failed(HttpStatus.BAD_GATEWAY, "The backend failed before responding (" + reason
								+ ") and the request was not retried", backend);
			};
		}

		/**
		 * Fails the request with the status and message the client gets, and logs them in one line. This line is
		 * the log's record of a backend failing a request: Reactor Netty's own warnings with stack traces are
		 * turned off in balancer-defaults.yml, as they came on every failed health probe as well.
		 */
		private Mono<Void> failed(HttpStatus status, String message, @Nullable String backend) {
			if (logger.isWarnEnabled()) {
				FailoverFilter.this.failureLines
					.warn(logger, answered(status, message) + ((backend != null) ? " (backend " + backend + ")" : ""));
			}
			return Mono.error(ErrorAnswer.of(status, message));
		}

		/**
		 * Fails the request for the client's own doing, logged at INFO: a slow mobile network is nothing to warn
		 * an operator about (nginx logs its client timeouts at info as well). The answer closes the connection,
		 * as nginx's does, rather than wait for the rest of a body that no longer goes anywhere.
		 */
		private Mono<Void> clientFailed(HttpStatus status, String message) {
			if (logger.isInfoEnabled()) {
				FailoverFilter.this.clientFailureLines.info(logger, answered(status, message));
			}
			return Mono.error(ErrorAnswer.closing(status, message));
		}

		/**
		 * Fails the request because the balancer is stopping ({@link Stopping}): a 503 that the client may try
		 * again elsewhere, logged at INFO without blaming the backend, not retried. Usually heard by no one: the
		 * client left first, which is what ended the drain.
		 */
		private Mono<Void> stopping(String reason) {
			if (logger.isInfoEnabled()) {
				FailoverFilter.this.clientFailureLines
					.info(logger, answered(HttpStatus.SERVICE_UNAVAILABLE, Stopping.ANSWER) + " (" + reason + ")");
			}
			return Mono.error(ErrorAnswer.closing(HttpStatus.SERVICE_UNAVAILABLE, Stopping.ANSWER));
		}

		/**
		 * Fails the request because Netty found no buffer memory to read the client's body into
		 * ({@link OutOfBufferMemoryException}): a 503 that the client may try again, logged as a warning, with
		 * no backend blamed, where it was a 400 saying that the client's body was not valid. The connection
		 * closes, so that no more of the body is read.
		 */
		private Mono<Void> outOfBufferMemory() {
			String message = "The balancer is out of buffer memory; try again";
			BufferMemory.ranOut(BufferMemory.Shortage.REQUEST_BODY);
			if (logger.isWarnEnabled()) {
				FailoverFilter.this.failureLines.warn(logger, answered(HttpStatus.SERVICE_UNAVAILABLE, message));
			}
			return Mono.error(ErrorAnswer.closing(HttpStatus.SERVICE_UNAVAILABLE, message));
		}

		private String answered(HttpStatus status, String message) {
			return this.exchange.getLogPrefix() + this.exchange.getRequest().getMethod() + " "
					+ this.exchange.getRequest().getPath() + " answered " + status.value() + ": " + message;
		}

		private Mono<Void> retry(int attempt, String reason) {
			Duration pause = FailoverFilter.this.settings.backoff(attempt);
			Mono<Void> next = Mono.defer(() -> attempt(attempt + 1, reason));
			return pause.isZero() ? next : Mono.delay(pause).then(next);
		}

		/** {@code 1 attempt}, {@code 3 attempts}, and why there were not more when the retry budget said no. */
		private String attemptsMade(int attempt) {
			return attempt + ((attempt == 1) ? " attempt" : " attempts")
					+ (this.budgetSpent ? ", no retry left in the retry budget" : "");
		}

		/** Takes the retry out of the budget and counts it; {@code false} when the budget is spent. */
		private boolean mayRetry(String tag, String reason) {
			if (!FailoverFilter.this.budget.tryRetry()) {
				FailoverFilter.this.budgetExhausted.increment();
				this.budgetSpent = true;
				return false;
			}
			FailoverFilter.this.retries.withTag("reason", tag).increment();
			if (logger.isDebugEnabled()) {
				logger.debug(this.exchange.getLogPrefix() + "retrying " + this.exchange.getRequest().getMethod() + " "
						+ this.exchange.getRequest().getPath() + " on another backend after " + reason + " from "
						+ chosenBackend());
			}
			return true;
		}

		/**
		 * Names the attempts and the backend the request ended with in the response, for balancer.debug-headers;
		 * no backend where none was tried.
		 */
		private void debugHeaders() {
			HttpHeaders headers = this.exchange.getResponse().getHeaders();
			headers.set(ATTEMPTS_HEADER, Integer.toString(this.attempts));
			String backend = (this.endedWith != null) ? this.endedWith : chosenBackend();
			if (backend != null) {
				headers.set(BACKEND_HEADER, backend);
			}
		}

		/**
		 * Whether a backend this request has not tried is among those the load balancer chooses from. A backend's
		 * own 502, 503 or 504 is retried only on another: the only backend of a service, answering 503, got each
		 * request three times, and its answer, a maintenance page or a {@code Retry-After}, was replaced by the
		 * balancer's 503 when it was ejected in between (nginx tries each server once). A connection that failed is
		 * still retried on a backend tried before when none other is left: a new connection to it may well work.
		 */
		private boolean anUntriedBackendRemains() {
			Supplier<List<ServiceInstance>> available = FailoverFilter.this.backends;
			if (available == null) {
				return true;
			}
			List<ServiceInstance> tried = BackendLoadBalancer.triedBackends(this.exchange.getAttributes());
			for (ServiceInstance backend : available.get()) {
				if (!BackendLoadBalancer.wasTried(backend, tried)) {
					return true;
				}
			}
			return false;
		}

		/**
		 * Tells the access log, if there is one, and the debug headers which backend the request ended with, after
		 * how many attempts.
		 */
		private void logged(@Nullable String backend) {
			this.endedWith = backend;
			if (FailoverFilter.this.settings.accessLog()) {
				BackendAccessLog.record(this.exchange, backend, this.attempts);
			}
		}

		/** The backend of the attempt under way, if one was chosen. */
		private @Nullable String chosenBackend() {
			Response<ServiceInstance> chosen = this.exchange
				.getAttribute(ServerWebExchangeUtils.GATEWAY_LOADBALANCER_RESPONSE_ATTR);
			return (chosen != null && chosen.hasServer()) ? chosen.getServer().getInstanceId() : null;
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
