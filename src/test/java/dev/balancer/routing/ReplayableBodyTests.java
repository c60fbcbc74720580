package dev.balancer.routing;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;

import org.junit.jupiter.api.Test;
import reactor.core.publisher.Flux;
import reactor.netty.channel.AbortedException;

import org.springframework.core.io.buffer.DataBuffer;
import org.springframework.core.io.buffer.DataBufferUtils;
import org.springframework.core.io.buffer.DefaultDataBufferFactory;
import org.springframework.http.HttpMethod;
import org.springframework.http.server.reactive.ServerHttpRequest;
import org.springframework.mock.http.server.reactive.MockServerHttpRequest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The bookkeeping of request bodies between attempts; HTTP itself is covered by the integration tests. */
class ReplayableBodyTests {

	@Test
	void anUnreadBodyCanBeSentByTheNextAttempt() {
		ReplayableBody body = ReplayableBody.unread(request("a", "b"));
		body.nextAttempt(); // an attempt that never connected, so never read the body

		assertThat(body.canReplay()).isTrue();
		assertThat(read(body.nextAttempt())).isEqualTo("ab");
	}

	@Test
	void aSmallBodyIsCopiedAsItPassesAndReplayedWhole() {
		ReplayableBody body = ReplayableBody.copying(request("first ", "second ", "third"), 1024);

		assertThat(read(body.nextAttempt())).isEqualTo("first second third");
		assertThat(body.canReplay()).isTrue();
		assertThat(read(body.nextAttempt())).isEqualTo("first second third");
		assertThat(read(body.nextAttempt())).isEqualTo("first second third");
	}

	@Test
	void aBodyLargerThanTheBufferIsNotReplayed() {
		ReplayableBody body = ReplayableBody.copying(request("x".repeat(600), "y".repeat(600)), 1024);

		assertThat(read(body.nextAttempt())).hasSize(1200);
		assertThat(body.canReplay()).isFalse();
	}

	@Test
	void aBodyReadOnlyInPartIsNotReplayed() {
		ReplayableBody body = ReplayableBody.copying(request("first", "second"), 1024);

		body.nextAttempt().getBody().take(1).map(this::release).blockLast();
		assertThat(body.canReplay()).isFalse();
	}

	@Test
	void aBodyDeclaringItsLengthIsWholeOnceThatManyBytesPassed() {
		MockServerHttpRequest request = MockServerHttpRequest.method(HttpMethod.PUT, "/doc")
			.contentLength(5)
			.body(Flux.just(buffer("12"), buffer("345")).concatWith(Flux.never()));
		ReplayableBody body = ReplayableBody.copying(request, 1024);

		// The backend may answer before the end of the body is signalled.
		body.nextAttempt().getBody().take(2).map(this::release).blockLast();
		assertThat(body.canReplay()).isTrue();
		assertThat(read(body.nextAttempt())).isEqualTo("12345");
	}

	@Test
	void receivedCompletesOnceTheClientHasSentTheWholeBody() {
		for (ReplayableBody body : List.of(ReplayableBody.copying(fiveBytes(), 1024), ReplayableBody.unread(fiveBytes()))) {
			AtomicBoolean received = receivedOf(body);
			assertThat(received).isFalse();

			assertThat(read(body.nextAttempt())).isEqualTo("12345");
			assertThat(received).isTrue();
		}
	}

	@Test
	void receivedWaitsForTheRestOfABodyReadInPart() {
		ReplayableBody body = ReplayableBody.copying(fiveBytes(), 1024);
		AtomicBoolean received = receivedOf(body);

		body.nextAttempt().getBody().take(1).map(this::release).blockLast();
		assertThat(received).isFalse();
	}

	@Test
	void receivedCompletesAtOnceForARequestWithoutBody() {
		assertThat(receivedOf(ReplayableBody.copying(MockServerHttpRequest.get("/").build(), 1024))).isTrue();
	}

	@Test
	void aFailureOfTheClientsBodyIsMarkedAsTheClients() {
		MockServerHttpRequest request = MockServerHttpRequest.method(HttpMethod.POST, "/doc")
			.contentLength(5)
			.body(Flux.just(buffer("12")).concatWith(Flux.error(new AbortedException("Connection has been closed"))));
		ReplayableBody body = ReplayableBody.unread(request);

		assertThatThrownBy(() -> read(body.nextAttempt())).isInstanceOf(BrokenRequestException.class)
			.hasCauseInstanceOf(AbortedException.class);
	}

	@Test
	void aStreamOnlyBodyIsNotReplayedOnceRead() {
		ReplayableBody body = ReplayableBody.unread(request("tiny"));

		read(body.nextAttempt());
		assertThat(body.canReplay()).isFalse();
	}

	@Test
	void anEmptyBodyIsReplayableWithoutAnyBuffer() {
		ReplayableBody body = ReplayableBody.copying(MockServerHttpRequest.get("/").build(), 0);

		assertThat(read(body.nextAttempt())).isEmpty();
		assertThat(body.canReplay()).isTrue();
	}

	@Test
	void copyingLeavesTheForwardedBytesUnread() {
		ReplayableBody body = ReplayableBody.copying(request("abc", "def"), 1024);

		List<String> forwarded = body.nextAttempt()
			.getBody()
			.map((buffer) -> {
				String text = buffer.toString(StandardCharsets.UTF_8);
				DataBufferUtils.release(buffer);
				return text;
			})
			.collectList()
			.block();
		assertThat(forwarded).containsExactly("abc", "def");
	}

	private static AtomicBoolean receivedOf(ReplayableBody body) {
		AtomicBoolean received = new AtomicBoolean();
		body.received().subscribe(null, null, () -> received.set(true));
		return received;
	}

	private static ServerHttpRequest fiveBytes() {
		return MockServerHttpRequest.method(HttpMethod.POST, "/doc")
			.contentLength(5)
			.body(Flux.just("12", "345").map(ReplayableBodyTests::buffer));
	}

	private static ServerHttpRequest request(String... chunks) {
		return MockServerHttpRequest.method(HttpMethod.PUT, "/doc")
			.body(Flux.fromArray(chunks).map(ReplayableBodyTests::buffer));
	}

	private static DataBuffer buffer(String text) {
		return DefaultDataBufferFactory.sharedInstance.wrap(text.getBytes(StandardCharsets.UTF_8));
	}

	private String read(ServerHttpRequest request) {
		return DataBufferUtils.join(request.getBody())
			.map((joined) -> {
				String text = joined.toString(StandardCharsets.UTF_8);
				DataBufferUtils.release(joined);
				return text;
			})
			.defaultIfEmpty("")
			.block();
	}

	private DataBuffer release(DataBuffer buffer) {
		DataBufferUtils.release(buffer);
		return buffer;
	}

}
