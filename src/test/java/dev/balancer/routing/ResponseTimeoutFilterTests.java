package dev.balancer.routing;

import java.time.Duration;

import org.junit.jupiter.api.Test;
import reactor.core.publisher.Mono;
import reactor.test.StepVerifier;

import org.springframework.cloud.gateway.support.TimeoutException;
import org.springframework.http.HttpStatus;
import org.springframework.mock.http.server.reactive.MockServerHttpRequest;
import org.springframework.mock.web.server.MockServerWebExchange;
import org.springframework.web.server.ResponseStatusException;

import static org.assertj.core.api.Assertions.assertThat;

/** Through the real gateway: {@code HangingBackendIntegrationTests}, {@code TimeoutsIntegrationTests}. */
class ResponseTimeoutFilterTests {

	final ResponseTimeoutFilter filter = new ResponseTimeoutFilter(Duration.ofMillis(50));

	@Test
	void anAttemptWithoutAResponseHeadInTimeFailsAsTheGatewaysTimeoutDoes() {
		MockServerWebExchange exchange = MockServerWebExchange.from(MockServerHttpRequest.get("/"));

		StepVerifier.create(this.filter.filter(exchange, (e) -> Mono.never()))
			.expectErrorSatisfies((failure) -> {
				assertThat(failure).isInstanceOf(ResponseStatusException.class)
					.hasCauseInstanceOf(TimeoutException.class);
				assertThat(((ResponseStatusException) failure).getStatusCode()).isEqualTo(HttpStatus.GATEWAY_TIMEOUT);
				assertThat(UpstreamFailure.of(failure)).isEqualTo(UpstreamFailure.TIMEOUT);
			})
			.verify(Duration.ofSeconds(5));
	}

	@Test
	void expiresOnTheEventLoopThatRunsTheRequest() throws Exception {
		MockServerWebExchange exchange = MockServerWebExchange.from(MockServerHttpRequest.get("/"));
		try (OneEventLoop loop = new OneEventLoop()) {
			OneEventLoop.Failure failure = loop.failureOf(() -> this.filter.filter(exchange, (e) -> Mono.never()));

			assertThat(failure.error()).isInstanceOf(ResponseStatusException.class);
			assertThat(failure.onTheLoop()).as("expired on the request's event loop, not Reactor's scheduler").isTrue();
		}
	}

	@Test
	void theChainAsksTheFilterForTheContextNotEveryOperatorBelowIt() {
		MockServerWebExchange exchange = MockServerWebExchange.from(MockServerHttpRequest.get("/"));

		int lookups = ContextLookups.countedBelow(this.filter.filter(exchange, (e) -> ContextLookups.asking()));

		assertThat(lookups).isEqualTo(1);
	}

	@Test
	void anAttemptAnsweredInTimePassesThrough() {
		MockServerWebExchange exchange = MockServerWebExchange.from(MockServerHttpRequest.get("/"));

		StepVerifier.create(this.filter.filter(exchange, (e) -> Mono.delay(Duration.ofMillis(5)).then()))
			.verifyComplete();
	}

	@Test
	void aWebSocketSessionIsNotTimed() {
		MockServerWebExchange exchange = MockServerWebExchange
			.from(MockServerHttpRequest.get("/").header("Upgrade", "WebSocket"));

		StepVerifier.create(this.filter.filter(exchange, (e) -> Mono.delay(Duration.ofMillis(200)).then()))
			.verifyComplete();
	}

}
