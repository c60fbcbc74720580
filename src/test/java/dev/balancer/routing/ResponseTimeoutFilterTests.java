package dev.balancer.routing;

import java.nio.charset.StandardCharsets;
import java.time.Duration;

import org.junit.jupiter.api.Test;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.test.StepVerifier;

import org.springframework.cloud.gateway.support.TimeoutException;
import org.springframework.core.io.buffer.DataBuffer;
import org.springframework.core.io.buffer.DefaultDataBufferFactory;
import org.springframework.http.HttpStatus;
import org.springframework.mock.http.server.reactive.MockServerHttpRequest;
import org.springframework.mock.web.server.MockServerWebExchange;
import org.springframework.web.server.ResponseStatusException;

import static org.assertj.core.api.Assertions.assertThat;

/** Through the real gateway: {@code HangingBackendIntegrationTests}, {@code TimeoutsIntegrationTests}. */
class ResponseTimeoutFilterTests {

	final ResponseTimeoutFilter filter = new ResponseTimeoutFilter(Duration.ofMillis(50), Duration.ofSeconds(1));

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
	void anUploadSlowerThanTheResponseTimeoutIsNotCutOff() {
		// five parts 30 ms apart: 150 ms of upload against a 50 ms response timeout
		Flux<DataBuffer> body = Flux.interval(Duration.ofMillis(30)).take(5).map((tick) -> part());
		MockServerWebExchange exchange = MockServerWebExchange
			.from(MockServerHttpRequest.post("/upload").contentLength(20).body(body));

		StepVerifier.create(this.filter.filter(exchange, (e) -> e.getRequest().getBody().then()))
			.verifyComplete();
	}

	@Test
	void aClientThatStopsSendingItsBodyFailsTheAttemptWithA408NotTheBackendsTimeout() {
		Flux<DataBuffer> body = Flux.just(part()).concatWith(Flux.never());
		MockServerWebExchange exchange = MockServerWebExchange
			.from(MockServerHttpRequest.post("/upload").contentLength(20).body(body));

		StepVerifier.create(this.filter.filter(exchange, (e) -> e.getRequest().getBody().then()))
			.expectErrorSatisfies((failure) -> {
				assertThat(failure).isInstanceOf(ResponseStatusException.class)
					.hasCauseInstanceOf(ResponseTimeoutFilter.StalledRequestException.class);
				assertThat(((ResponseStatusException) failure).getStatusCode()).isEqualTo(HttpStatus.REQUEST_TIMEOUT);
				assertThat(UpstreamFailure.of(failure)).isEqualTo(UpstreamFailure.CLIENT_TIMEOUT);
				assertThat(UpstreamFailure.describe(failure))
					.isEqualTo("the client sent nothing for 1000 ms in the middle of its request body");
			})
			.verify(Duration.ofSeconds(5));
	}

	@Test
	void aBackendThatTakesNoneOfTheBodyTimesOutAsOneThatDoesNotAnswer() {
		Flux<DataBuffer> body = Flux.just(part()).concatWith(Flux.never());
		MockServerWebExchange exchange = MockServerWebExchange
			.from(MockServerHttpRequest.post("/upload").contentLength(20).body(body));

		StepVerifier.create(this.filter.filter(exchange, (e) -> Mono.never()))
			.expectErrorSatisfies((failure) -> assertThat(UpstreamFailure.of(failure)).isEqualTo(UpstreamFailure.TIMEOUT))
			.verify(Duration.ofSeconds(5));
	}

	/**
	 * The rest of the chain completes once the client's {@code 101} is sent, the backend's handshake done
	 * ({@link WebSocketProxyFilter}): the wait for it is timed, the session after it is not.
	 */
	@Test
	void aWebSocketHandshakeIsTimedAsAnyResponse() {
		MockServerWebExchange exchange = MockServerWebExchange
			.from(MockServerHttpRequest.get("/").header("Upgrade", "WebSocket"));

		StepVerifier.create(this.filter.filter(exchange, (e) -> Mono.never()))
			.expectErrorSatisfies(
					(failure) -> assertThat(UpstreamFailure.of(failure)).isEqualTo(UpstreamFailure.TIMEOUT))
			.verify(Duration.ofSeconds(5));
	}

	private static DataBuffer part() {
		return DefaultDataBufferFactory.sharedInstance.wrap("0123".getBytes(StandardCharsets.US_ASCII));
	}

}
