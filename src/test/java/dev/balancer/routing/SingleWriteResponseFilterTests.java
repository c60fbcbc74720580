package dev.balancer.routing;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.reactivestreams.Publisher;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.netty.channel.AbortedException;
import reactor.test.StepVerifier;

import org.springframework.core.io.buffer.DataBuffer;
import org.springframework.core.io.buffer.DefaultDataBufferFactory;
import org.springframework.http.HttpStatus;
import org.springframework.http.server.reactive.ServerHttpResponse;
import org.springframework.http.server.reactive.ServerHttpResponseDecorator;
import org.springframework.mock.http.server.reactive.MockServerHttpRequest;
import org.springframework.mock.http.server.reactive.MockServerHttpResponse;
import org.springframework.mock.web.server.MockServerWebExchange;
import org.springframework.web.server.ResponseStatusException;
import org.springframework.web.server.ServerWebExchange;

import static org.assertj.core.api.Assertions.assertThat;

/** Which bodies are handed to the server whole; through the real gateway: {@code TruncatedResponseIntegrationTests}. */
class SingleWriteResponseFilterTests {

	final SingleWriteResponseFilter filter = new SingleWriteResponseFilter();

	/** The response of the latest exchange. */
	MockServerHttpResponse response;

	/** What the server was handed: a Mono is written with the head in one go, a Flux streamed. */
	final List<Publisher<? extends DataBuffer>> written = new ArrayList<>();

	@Test
	void aShortBodyOfKnownLengthIsHandedOverWhole() {
		proxy(MockServerHttpRequest.get("/"), HttpStatus.OK, 11, body("hello ", "world"));

		assertThat(this.written).singleElement().isInstanceOf(Mono.class);
		assertThat(this.response.getBodyAsString().block()).isEqualTo("hello world");
	}

	@Test
	void bodiesOfUnknownLengthOrLongerThanTheLimitAreStreamed() {
		proxy(MockServerHttpRequest.get("/"), HttpStatus.OK, -1, body("chunk ", "by chunk"));
		proxy(MockServerHttpRequest.get("/"), HttpStatus.OK, SingleWriteResponseFilter.MAX_BODY_BYTES + 1,
				body("x".repeat(SingleWriteResponseFilter.MAX_BODY_BYTES), "x"));

		assertThat(this.written).hasSize(2).allSatisfy((body) -> assertThat(body).isNotInstanceOf(Mono.class));
	}

	@Test
	void responsesWithoutABodyAreLeftAlone() {
		proxy(MockServerHttpRequest.head("/"), HttpStatus.OK, 11, Flux.empty());
		proxy(MockServerHttpRequest.get("/"), HttpStatus.NOT_MODIFIED, 11, Flux.empty());
		proxy(MockServerHttpRequest.get("/"), HttpStatus.OK, 0, Flux.empty());

		assertThat(this.written).hasSize(3).allSatisfy((body) -> assertThat(body).isNotInstanceOf(Mono.class));
	}

	@Test
	void aShortBodyThatBreaksOffIsABadGatewayAndNothingIsWritten() {
		Flux<DataBuffer> broken = body("hello ").concatWith(Mono.error(new AbortedException("Connection reset")));

		StepVerifier.create(this.filter.filter(exchange(MockServerHttpRequest.get("/"), HttpStatus.OK, 11),
				(exchange) -> exchange.getResponse().writeWith(broken)))
			.expectErrorSatisfies((error) -> assertThat(error).isInstanceOfSatisfying(ResponseStatusException.class,
					(status) -> assertThat(status.getStatusCode()).isEqualTo(HttpStatus.BAD_GATEWAY)))
			.verify();
		assertThat(this.response.isCommitted()).isFalse();
	}

	private void proxy(MockServerHttpRequest.BaseBuilder<?> request, HttpStatus status, long length,
			Flux<DataBuffer> body) {
		this.filter.filter(exchange(request, status, length), (exchange) -> exchange.getResponse().writeWith(body))
			.block();
	}

	/** An exchange whose response has the backend's status and length, and records what it is handed. */
	private ServerWebExchange exchange(MockServerHttpRequest.BaseBuilder<?> request, HttpStatus status,
			long length) {
		this.response = new MockServerHttpResponse();
		ServerHttpResponse recording = new ServerHttpResponseDecorator(this.response) {
			@Override
			public Mono<Void> writeWith(Publisher<? extends DataBuffer> body) {
				SingleWriteResponseFilterTests.this.written.add(body);
				return super.writeWith(body);
			}
		};
		recording.setStatusCode(status);
		if (length >= 0) {
			recording.getHeaders().setContentLength(length);
		}
		return MockServerWebExchange.from(request).mutate().response(recording).build();
	}

	private static Flux<DataBuffer> body(String... parts) {
		return Flux.fromArray(parts)
			.map((part) -> DefaultDataBufferFactory.sharedInstance.wrap(part.getBytes(StandardCharsets.UTF_8)));
	}

}
