package dev.balancer.routing;

import java.io.IOException;
import java.net.Socket;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.netty.DisposableServer;

import dev.balancer.support.BalancerTestProperties;
import dev.balancer.support.LoopbackBackend;
import dev.balancer.support.RawRequests;
import dev.balancer.support.RawResponses.RawResponse;
import dev.balancer.support.RawResponses;

import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.context.SpringBootTest.WebEnvironment;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.annotation.DirtiesContext;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * HTTP/1.x clients that pipeline their requests get every answer, in order, and HTTP/1.0 clients get bodies of
 * unknown length in a form they can read ({@link Http1Exchanges}), over real connections to a real backend.
 */
@SpringBootTest(webEnvironment = WebEnvironment.RANDOM_PORT)
@DirtiesContext // stops its health checker and frees its ports; no other test class shares this context
@ExtendWith(OutputCaptureExtension.class)
class Http1ClientsIntegrationTests {

	/** Paths of the requests the backend received, health probes aside, in the order they came. */
	static final List<String> received = new CopyOnWriteArrayList<>();

	/** {@code /slow} answers after this long: requests sent behind it on its connection wait for it. */
	static final Duration SLOW = Duration.ofMillis(300);

	static final String LARGE = "x".repeat(SingleWriteResponseFilter.MAX_BODY_BYTES + 1);

	static final DisposableServer backend = LoopbackBackend.start((routes) -> routes
			.get("/slow", (request, response) -> {
				received.add(request.uri());
				return response.sendString(Mono.delay(SLOW).thenReturn("slow"));
			})
			.get("/stream", (request, response) -> {
				received.add(request.uri());
				// no length: sent chunked to the balancer, and by it to HTTP/1.1 clients
				return response.sendString(Flux.just("first;", "second;", "third;").delayElements(Duration.ofMillis(20)));
			})
			.put("/upload", (request, response) -> response.sendString(request.receive()
				.aggregate()
				.asString()
				.doOnNext((body) -> received.add("/upload " + body)) // a body that came whole
				.map((body) -> "took " + body.length())))
			.get("/large", (request, response) -> {
				received.add(request.uri());
				return response.sendString(Mono.just(LARGE)); // with its length, too long to go in one write
			})
			.route((request) -> true, (request, response) -> {
				received.add(request.uri());
				return response.sendString(Mono.just("answer to " + request.uri()));
			}));

	@DynamicPropertySource
	static void balancer(DynamicPropertyRegistry registry) {
		BalancerTestProperties.register(registry, backend);
	}

	@AfterAll
	static void stopBackend() {
		backend.disposeNow();
	}

	@LocalServerPort
	int port;

	@BeforeEach
	void clear() {
		received.clear();
	}

	@Test
	void pipelinedRequestsAreAnsweredInOrderOnOneConnection() throws IOException {
		List<RawResponse> answers = RawResponses.parse(RawRequests.untilClosed(this.port,
				get("/slow", "") + get("/two", "") + get("/three", "Connection: close\r\n")));

		assertThat(answers).extracting(RawResponse::body).containsExactly("slow", "answer to /two", "answer to /three");
		assertThat(received).containsExactly("/slow", "/two", "/three");
	}

	/**
	 * Reactor Netty closed the connection after the answer to {@code /slow}, still open when the request to close
	 * came: {@code /two} and {@code /three} were never answered. Requests after the one that closes are not read.
	 */
	@Test
	void aPipelinedRequestThatClosesTheConnectionClosesItAfterItsOwnAnswer() throws IOException {
		List<RawResponse> answers = RawResponses.parse(RawRequests.untilClosed(this.port, get("/slow", "")
				+ get("/two", "") + get("/three", "Connection: close\r\n") + get("/four", "")));

		assertThat(answers).extracting(RawResponse::body).containsExactly("slow", "answer to /two", "answer to /three");
		assertThat(answers.get(0).header("connection")).isNull();
		assertThat(answers.get(1).header("connection")).isNull();
		assertThat(answers.get(2).header("connection")).isEqualTo("close");
		assertThat(received).containsExactly("/slow", "/two", "/three");
	}

	@Test
	void aPipelinedHttp10RequestClosesTheConnectionAfterItsOwnAnswer() throws IOException {
		List<RawResponse> answers = RawResponses.parse(RawRequests.untilClosed(this.port,
				get("/slow", "") + "GET /two HTTP/1.0\r\n\r\n" + get("/three", "")));

		assertThat(answers).extracting(RawResponse::body).containsExactly("slow", "answer to /two");
		assertThat(received).containsExactly("/slow", "/two");
	}

	/**
	 * The balancer's own answer to a request that is not valid HTTP went out at once, ahead of the answer to
	 * {@code /slow}: the client took the 400 for the answer to its first request.
	 */
	@Test
	void aRefusedPipelinedRequestIsAnsweredAfterTheRequestsBeforeIt(CapturedOutput output) throws IOException {
		List<RawResponse> answers = RawResponses.parse(RawRequests.untilClosed(this.port,
				get("/slow", "") + get("/two", "") + get("/50%off", "") + get("/four", "")));

		assertThat(answers).extracting(RawResponse::status).containsExactly(200, 200, 400);
		assertThat(answers.get(0).body()).isEqualTo("slow");
		assertThat(answers.get(1).body()).isEqualTo("answer to /two");
		assertThat(answers.get(2).body()).contains("a malformed percent-escape in the request target");
		assertThat(answers.get(2).header("connection")).isEqualTo("close");
		assertThat(received).containsExactly("/slow", "/two");
		assertThat(output.getOut()).containsOnlyOnce("a request that is not valid HTTP: a malformed percent-escape");
	}

	/**
	 * Reactor Netty handed the backend the body up to the fault as a complete one and the client the backend's answer
	 * to it, then left the connection open with nothing more to read.
	 */
	@Test
	void aPipelinedRequestWhoseBodyTurnsMalformedGetsA400AfterTheAnswerBeforeIt(CapturedOutput output)
			throws IOException {
		List<RawResponse> answers = RawResponses.parse(RawRequests.untilClosed(this.port, get("/slow", "")
				+ "PUT /upload HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n"
				+ "zz\r\nworld\r\n0\r\n\r\n"));

		assertThat(answers).extracting(RawResponse::status).containsExactly(200, 400);
		assertThat(answers.get(0).body()).isEqualTo("slow");
		assertThat(answers.get(1).body()).contains("The request broke off: the client's request body is not valid: "
				+ "Invalid character in chunk size");
		assertThat(answers.get(1).header("connection")).isEqualTo("close");
		assertThat(received).containsExactly("/slow");
		assertThat(output.getOut()).doesNotContain("Decoding failed").doesNotContain(" ERROR ");
	}

	@Test
	void aRequestAfterOneThatClosesIsNeitherAnsweredNorRefused() throws IOException {
		List<RawResponse> answers = RawResponses.parse(RawRequests.untilClosed(this.port,
				get("/slow", "") + get("/two", "Connection: close\r\n") + get("/50%off", "")));

		assertThat(answers).extracting(RawResponse::status).containsExactly(200, 200);
		assertThat(received).containsExactly("/slow", "/two");
	}

	/**
	 * Reactor Netty sent an HTTP/1.0 client a body of unknown length chunked, which HTTP/1.0 clients do not decode:
	 * the chunk sizes ended up in the body, and with {@code keep-alive} the client waited for an end of the body that
	 * never came.
	 */
	@ParameterizedTest
	@ValueSource(strings = { "", "Connection: keep-alive\r\n" })
	void anHttp10ClientGetsABodyOfUnknownLengthEndedByTheCloseOfTheConnection(String connection) throws IOException {
		String raw = RawRequests.untilClosed(this.port, "GET /stream HTTP/1.0\r\nHost: lb\r\n" + connection + "\r\n");

		String head = raw.substring(0, raw.indexOf("\r\n\r\n") + 2).toLowerCase();
		assertThat(head).startsWith("http/1.1 200 ").doesNotContain("transfer-encoding").contains("connection: close");
		assertThat(raw.substring(raw.indexOf("\r\n\r\n") + 4)).isEqualTo("first;second;third;");
	}

	@Test
	void anHttp10ClientGetsABodyOfKnownLengthWithItsLength() throws IOException {
		RawResponse answer = RawResponses.parse(RawRequests.untilClosed(this.port, "GET /one HTTP/1.0\r\n\r\n")).get(0);

		assertThat(answer.header("content-length")).isEqualTo("14");
		assertThat(answer.body()).isEqualTo("answer to /one");
	}

	/**
	 * Reactor Netty closed the connection after a small response, and kept it open after a large one without
	 * {@code Connection: keep-alive}: an HTTP/1.0 client then waited for the close to end the body.
	 */
	@Test
	void anHttp10ClientThatAsksForKeepAliveKeepsItsConnection() throws IOException {
		try (Socket connection = new Socket("127.0.0.1", this.port)) {
			String small = RawRequests.response(connection, "GET /one HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
			String large = RawRequests.response(connection, "GET /large HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
			String last = RawRequests.response(connection, "GET /three HTTP/1.0\r\n\r\n");

			assertThat(small.toLowerCase()).contains("\r\nconnection: keep-alive\r\n").endsWith("answer to /one");
			assertThat(large.toLowerCase()).contains("\r\nconnection: keep-alive\r\n").endsWith(LARGE);
			assertThat(last.toLowerCase()).doesNotContain("keep-alive").endsWith("answer to /three");
			assertThat(connection.getInputStream().read()).isEqualTo(-1); // closed after the last
		}
		assertThat(received).containsExactly("/one", "/large", "/three");
	}

	@Test
	void anHttp11ClientStillGetsABodyOfUnknownLengthChunked() throws IOException {
		RawResponse answer = RawResponses.parse(RawRequests.untilClosed(this.port,
				get("/stream", "Connection: close\r\n"))).get(0);

		assertThat(answer.header("transfer-encoding")).isEqualTo("chunked");
		assertThat(answer.body()).isEqualTo("first;second;third;");
	}

	private static String get(String path, String headers) {
		return "GET " + path + " HTTP/1.1\r\nHost: lb\r\n" + headers + "\r\n";
	}

}
