package dev.balancer.routing;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
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

	final ReplayMemory memory = new ReplayMemory(1024 * 1024);

	@Test
	void theCopiesOfAllBodiesTogetherStayWithinTheirMemory() {
		ReplayMemory memory = new ReplayMemory(10);
		ReplayableBody first = ReplayableBody.copying(request("12345", "678"), 1024, memory);
		ReplayableBody second = ReplayableBody.copying(request("abcde"), 1024, memory);

		assertThat(read(first.nextAttempt())).isEqualTo("12345678");
		assertThat(read(second.nextAttempt())).isEqualTo("abcde");

		assertThat(first.canReplay()).isTrue();
		assertThat(second.canReplay()).as("no room left for its copy").isFalse();
		assertThat(memory.held()).isEqualTo(8);
		first.release();
		assertThat(memory.held()).isZero();
		ReplayableBody third = ReplayableBody.copying(request("abcde"), 1024, memory);
		assertThat(read(third.nextAttempt())).isEqualTo("abcde");
		assertThat(third.canReplay()).isTrue();
		assertThat(read(third.nextAttempt())).isEqualTo("abcde");
		assertThat(memory.held()).isEqualTo(5);
	}

	@Test
	void aBodyThatTurnsOutTooLargeGivesItsMemoryBackAtOnce() {
		ReplayMemory memory = new ReplayMemory(1024);
		ReplayableBody body = ReplayableBody.copying(request("1234", "5678"), 6, memory);
		List<Long> held = new ArrayList<>();

		body.nextAttempt().getBody().doOnNext((buffer) -> held.add(memory.held())).map(this::release).blockLast();

		assertThat(held).containsExactly(4L, 0L);
		assertThat(body.canReplay()).isFalse();
	}

	@Test
	void nothingIsCopiedOnceTheRequestIsOver() {
		ReplayMemory memory = new ReplayMemory(1024);
		ReplayableBody body = ReplayableBody.copying(request("1234"), 1024, memory);
		body.release();

		assertThat(read(body.nextAttempt())).isEqualTo("1234");
		assertThat(memory.held()).isZero();
		assertThat(body.canReplay()).isFalse();
	}

	@Test
	void anUnreadBodyCanBeSentByTheNextAttempt() {
		ReplayableBody body = ReplayableBody.unread(request("a", "b"));
		body.nextAttempt(); // an attempt that never connected, so never read the body

		assertThat(body.canReplay()).isTrue();
		assertThat(read(body.nextAttempt())).isEqualTo("ab");
	}

	@Test
	void aSmallBodyIsCopiedAsItPassesAndReplayedWhole() {
		ReplayableBody body = ReplayableBody.copying(request("first ", "second ", "third"), 1024, this.memory);

		assertThat(read(body.nextAttempt())).isEqualTo("first second third");
		assertThat(body.canReplay()).isTrue();
		assertThat(read(body.nextAttempt())).isEqualTo("first second third");
		assertThat(read(body.nextAttempt())).isEqualTo("first second third");
	}

	@Test
	void aBodyLargerThanTheBufferIsNotReplayed() {
		ReplayableBody body = ReplayableBody.copying(request("x".repeat(600), "y".repeat(600)), 1024, this.memory);

		assertThat(read(body.nextAttempt())).hasSize(1200);
		assertThat(body.canReplay()).isFalse();
	}

	@Test
	void aBodyReadOnlyInPartIsNotReplayed() {
		ReplayableBody body = ReplayableBody.copying(request("first", "second"), 1024, this.memory);

		body.nextAttempt().getBody().take(1).map(this::release).blockLast();
		assertThat(body.canReplay()).isFalse();
	}

	@Test
	void aBodyDeclaringItsLengthIsWholeOnceThatManyBytesPassed() {
		MockServerHttpRequest request = MockServerHttpRequest.method(HttpMethod.PUT, "/doc")
			.contentLength(5)
			.body(Flux.just(buffer("12"), buffer("345")).concatWith(Flux.never()));
		ReplayableBody body = ReplayableBody.copying(request, 1024, this.memory);

		// The backend may answer before the end of the body is signalled.
		body.nextAttempt().getBody().take(2).map(this::release).blockLast();
		assertThat(body.canReplay()).isTrue();
		assertThat(read(body.nextAttempt())).isEqualTo("12345");
	}

	@Test
	void receivedCompletesOnceTheClientHasSentTheWholeBody() {
		for (ReplayableBody body : List.of(ReplayableBody.copying(fiveBytes(), 1024, this.memory),
				ReplayableBody.unread(fiveBytes()))) {
			AtomicBoolean received = receivedOf(body);
			assertThat(received).isFalse();

			assertThat(read(body.nextAttempt())).isEqualTo("12345");
			assertThat(received).isTrue();
		}
	}

	@Test
	void receivedWaitsForTheRestOfABodyReadInPart() {
		ReplayableBody body = ReplayableBody.copying(fiveBytes(), 1024, this.memory);
		AtomicBoolean received = receivedOf(body);

		body.nextAttempt().getBody().take(1).map(this::release).blockLast();
		assertThat(received).isFalse();
	}

	@Test
	void receivedCompletesAtOnceForARequestWithoutBody() {
		assertThat(receivedOf(ReplayableBody.copying(MockServerHttpRequest.get("/").build(), 1024, this.memory)))
			.isTrue();
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
	void noBufferMemoryForTheClientsBodyIsNotMarkedAsTheClients() {
		MockServerHttpRequest request = MockServerHttpRequest.method(HttpMethod.POST, "/doc")
			.contentLength(5)
			// as Reactor Netty hands it on: wrapped in its InternalNettyException, a RuntimeException
			.body(Flux.just(buffer("12"))
				.concatWith(Flux.error(new RuntimeException(new OutOfMemoryError("Direct buffer memory")))));
		ReplayableBody body = ReplayableBody.unread(request);

		assertThatThrownBy(() -> read(body.nextAttempt())).isInstanceOf(OutOfBufferMemoryException.class)
			.hasCauseInstanceOf(OutOfMemoryError.class);
	}

	@Test
	void aStreamOnlyBodyIsNotReplayedOnceRead() {
		ReplayableBody body = ReplayableBody.unread(request("tiny"));

		read(body.nextAttempt());
		assertThat(body.canReplay()).isFalse();
	}

	@Test
	void anEmptyBodyIsReplayableWithoutAnyBuffer() {
		ReplayableBody body = ReplayableBody.copying(MockServerHttpRequest.get("/").build(), 0, this.memory);

		assertThat(read(body.nextAttempt())).isEmpty();
		assertThat(body.canReplay()).isTrue();
	}

	@Test
	void copyingLeavesTheForwardedBytesUnread() {
		ReplayableBody body = ReplayableBody.copying(request("abc", "def"), 1024, this.memory);

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
