package dev.balancer.routing;

import java.net.ConnectException;
import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import reactor.core.publisher.Mono;
import reactor.netty.channel.AbortedException;
import reactor.test.StepVerifier;

import dev.balancer.metrics.BufferMemory;

import org.springframework.cloud.gateway.support.ServerWebExchangeUtils;
import org.springframework.http.HttpStatus;
import org.springframework.mock.http.server.reactive.MockServerHttpRequest;
import org.springframework.mock.web.server.MockServerWebExchange;
import org.springframework.web.server.ResponseStatusException;

import static org.assertj.core.api.Assertions.assertThat;

/** Retries through the real gateway: {@code FailoverIntegrationTests}, {@code TimeoutsIntegrationTests}. */
class FailoverFilterTests {

	final SimpleMeterRegistry meters = new SimpleMeterRegistry();

	final FailoverFilter filter = new FailoverFilter(
			new FailoverFilter.Settings(1, 0, Duration.ZERO, Duration.ZERO, Duration.ofMillis(50), false, false),
			new RetryBudget(20, 10, Clock.systemUTC()), new ReplayMemory(0), this.meters);

	/** Each reason's count is there, at 0, before the first retry: a query over it finds a count, not nothing. */
	@Test
	void retriesAreCountedFromZeroForEachReason() {
		assertThat(this.meters.get("balancer.retries").counters())
			.allSatisfy((counter) -> assertThat(counter.count()).isZero())
			.extracting((counter) -> counter.getId().getTag("reason"))
			.containsExactlyInAnyOrder("connect_error", "reset", "timeout", "status_502", "status_503", "status_504");
	}

	@Test
	void theRequestTimeoutExpiresOnTheEventLoopThatRunsTheRequest() throws Exception {
		MockServerWebExchange exchange = MockServerWebExchange.from(MockServerHttpRequest.get("/"));
		exchange.getAttributes().put(ServerWebExchangeUtils.GATEWAY_REQUEST_URL_ATTR, URI.create("lb://backends/"));
		try (OneEventLoop loop = new OneEventLoop()) {
			OneEventLoop.Failure failure = loop.failureOf(() -> this.filter.filter(exchange, (e) -> Mono.never()));

			assertThat(failure.error()).isInstanceOfSatisfying(ResponseStatusException.class,
					(status) -> assertThat(status.getStatusCode()).isEqualTo(HttpStatus.GATEWAY_TIMEOUT));
			assertThat(failure.onTheLoop()).as("expired on the request's event loop, not Reactor's scheduler").isTrue();
		}
	}

	@Test
	void eachExpiredRequestIsAnsweredAndCounted() {
		for (int request = 1; request <= 2; request++) {
			MockServerWebExchange exchange = MockServerWebExchange.from(MockServerHttpRequest.get("/"));
			exchange.getAttributes().put(ServerWebExchangeUtils.GATEWAY_REQUEST_URL_ATTR, URI.create("lb://backends/"));

			StepVerifier.create(this.filter.filter(exchange, (e) -> Mono.never()))
				.expectErrorSatisfies((error) -> assertThat(error).hasMessageContaining("request timeout of 50 ms"))
				.verify(Duration.ofSeconds(5));
			assertThat(this.meters.get("balancer.timeouts").tag("timeout", "request").counter().count())
				.isEqualTo(request);
		}
	}

	@ParameterizedTest
	@CsvSource(delimiter = '|', textBlock = """
			1 | 20 | 1 attempt
			3 | 20 | 3 attempts
			3 | 0  | 1 attempt, no retry left in the retry budget
			""")
	void theAnswerSaysHowManyAttemptsFailedAndWhyThereWereNoMore(int attempts, int budgetPercent, String made) {
		FailoverFilter refusing = new FailoverFilter(
				new FailoverFilter.Settings(attempts, 0, Duration.ZERO, Duration.ZERO, Duration.ofSeconds(5), false,
						false),
				new RetryBudget(budgetPercent, (budgetPercent > 0) ? 10 : 0, Clock.systemUTC()), new ReplayMemory(0),
				this.meters);
		MockServerWebExchange exchange = MockServerWebExchange.from(MockServerHttpRequest.get("/"));
		exchange.getAttributes().put(ServerWebExchangeUtils.GATEWAY_REQUEST_URL_ATTR, URI.create("lb://backends/"));

		StepVerifier.create(refusing.filter(exchange, (e) -> Mono.error(new ConnectException("Connection refused"))))
			.expectErrorSatisfies((error) -> assertThat(error).isInstanceOfSatisfying(ResponseStatusException.class,
					(answer) -> assertThat(answer.getReason()).isEqualTo(
							"No backend could serve the request after " + made + "; last failure: connection refused")))
			.verify(Duration.ofSeconds(5));
	}

	@Test
	void noBufferMemoryForTheBodyIsAnswered503AndClosesTheConnection() {
		MockServerWebExchange exchange = MockServerWebExchange.from(MockServerHttpRequest.get("/"));
		exchange.getAttributes().put(ServerWebExchangeUtils.GATEWAY_REQUEST_URL_ATTR, URI.create("lb://backends/"));
		OutOfBufferMemoryException noMemory = OutOfBufferMemoryException
			.of(new IllegalStateException(new OutOfMemoryError("Direct buffer memory")));
		long before = BufferMemory.timesRanOut(BufferMemory.Shortage.REQUEST_BODY);

		StepVerifier.create(this.filter.filter(exchange, (e) -> Mono.error(noMemory)))
			.expectErrorSatisfies((error) -> assertThat(error).isInstanceOfSatisfying(ErrorAnswer.class, (answer) -> {
				assertThat(answer.getStatusCode()).isEqualTo(HttpStatus.SERVICE_UNAVAILABLE);
				assertThat(answer.getReason()).isEqualTo("The balancer is out of buffer memory; try again");
				assertThat(answer.getHeaders().getFirst("Connection")).isEqualTo("close");
			}))
			.verify(Duration.ofSeconds(5));
		assertThat(BufferMemory.timesRanOut(BufferMemory.Shortage.REQUEST_BODY)).isEqualTo(before + 1);
	}

	@Test
	void aFailureOnceTheBalancerIsStoppingIsAnswered503AndNotRetried() {
		Stopping stopping = new Stopping();
		FailoverFilter stopped = new FailoverFilter(
				new FailoverFilter.Settings(3, 0, Duration.ZERO, Duration.ZERO, Duration.ofSeconds(5), false, false),
				new RetryBudget(20, 10, Clock.systemUTC()), new ReplayMemory(0), this.meters, stopping, null);
		MockServerWebExchange exchange = MockServerWebExchange.from(MockServerHttpRequest.get("/"));
		exchange.getAttributes().put(ServerWebExchangeUtils.GATEWAY_REQUEST_URL_ATTR, URI.create("lb://backends/"));
		AtomicInteger attempts = new AtomicInteger();
		stopping.begin();

		// what a backend connection closed by the stopping event loops fails with
		StepVerifier.create(stopped.filter(exchange, (e) -> Mono.defer(() -> {
			attempts.incrementAndGet();
			return Mono.error(new AbortedException("Connection prematurely closed BEFORE response"));
		})))
			.expectErrorSatisfies((error) -> assertThat(error).isInstanceOfSatisfying(ErrorAnswer.class, (answer) -> {
				assertThat(answer.getStatusCode()).isEqualTo(HttpStatus.SERVICE_UNAVAILABLE);
				assertThat(answer.getReason()).isEqualTo("The balancer is shutting down");
				assertThat(answer.getHeaders().getFirst("Connection")).isEqualTo("close");
			}))
			.verify(Duration.ofSeconds(5));
		assertThat(attempts).as("not retried: the next attempt would meet the same").hasValue(1);
	}

	@Test
	void theAttemptsAskTheFilterForTheContextNotEveryOperatorBelowIt() {
		MockServerWebExchange exchange = MockServerWebExchange.from(MockServerHttpRequest.get("/"));
		exchange.getAttributes().put(ServerWebExchangeUtils.GATEWAY_REQUEST_URL_ATTR, URI.create("lb://backends/"));

		int lookups = ContextLookups.countedBelow(this.filter.filter(exchange, (e) -> ContextLookups.asking()));

		assertThat(lookups).isEqualTo(1);
	}

}
