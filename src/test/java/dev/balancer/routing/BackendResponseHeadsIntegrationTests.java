package dev.balancer.routing;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import io.micrometer.core.instrument.MeterRegistry;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import dev.balancer.support.Http2Requests;
import dev.balancer.support.RawBackend;
import dev.balancer.support.RawRequests;

import org.springframework.beans.factory.annotation.Autowired;
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
 * A backend whose responses are unusual ({@link BackendResponseHeads}): informational responses before the final
 * one reach the client as the final response, at once, where the client got the 103's head and then waited until
 * its own timeout; heads that are not valid HTTP get a 502 naming the fault, where they got a 500 and a stack trace
 * in the log; a response that falls silent is cut off after the read timeout, here 300 ms, where it held the
 * client for as long as the backend kept the connection.
 */
@SpringBootTest(webEnvironment = WebEnvironment.RANDOM_PORT,
		properties = { "balancer.health-check.interval=1h", "balancer.health-check.path=/health",
				"management.server.port=0", "balancer.timeouts.read=300ms", "server.http2.enabled=true",
				// one backend answering invalid responses in a row on purpose: not to be ejected for them
				"balancer.outlier-detection.consecutive-errors=100" })
@DirtiesContext // stops its health checker and frees its ports; no other test class shares this context
@ExtendWith(OutputCaptureExtension.class)
class BackendResponseHeadsIntegrationTests {

	static final RawBackend backend = RawBackend.start(RawBackend.Behaviour.HEADS_BY_PATH);

	@DynamicPropertySource
	static void balancer(DynamicPropertyRegistry registry) {
		registry.add("balancer.backends[0].url", backend::url);
	}

	@AfterAll
	static void stop() throws IOException {
		backend.close();
	}

	@LocalServerPort
	int port;

	@Autowired
	MeterRegistry meters;

	@Test
	void theClientGetsTheFinalResponseAfterTheBackendsInformationalOnes() throws IOException {
		for (String method : new String[] { "GET", "POST" }) {
			String response = RawRequests.response(this.port,
					method + " /hints HTTP/1.1\r\nHost: localhost\r\nContent-Length: 0\r\n\r\n");

			assertThat(response).as(method).startsWith("HTTP/1.1 200 OK\r\n").endsWith("\r\n\r\nhinted");
		}
	}

	/**
	 * A {@code Content-Length} on a 204 (RFC 9110 8.6 forbids it) is not passed on: HTTP/2 clients took it for a
	 * promise of content and failed the stream (curl: {@code PROTOCOL_ERROR}).
	 */
	@Test
	void aNoContentResponseGoesOnWithoutALength() throws Exception {
		assertThat(get("/204-with-length")).startsWith("HTTP/1.1 204 No Content\r\n")
			.doesNotContainIgnoringCase("content-length");
		try (Http2Requests connection = Http2Requests.clearText(this.port)) {
			Http2Requests.Answer answer = connection.send(Http2Requests.headers("GET", "/204-with-length", "localhost"));

			assertThat(answer.status()).isEqualTo(204);
			assertThat(answer.headers().contains("content-length")).isFalse();
			assertThat(answer.ended()).isTrue();
		}
	}

	/**
	 * A 101 to a request that asked for no upgrade is a 502: relayed, it reached the client with a chunked body
	 * (HTTP/2 has no 101 at all), and the switched connection went back to the pool, where another client's request
	 * was sent on it and its answer never read.
	 */
	@Test
	void aSwitchToAProtocolNoOneAskedForIsABadGateway() throws IOException {
		assertThat(get("/unasked-101")).startsWith("HTTP/1.1 502 Bad Gateway\r\n")
			.endsWith("\"message\":\"The backend sent an invalid response: 101 Switching Protocols to a request that "
					+ "asked for no upgrade\"}");
		assertThat(get("/dated")).as("the next request").startsWith("HTTP/1.1 200 OK\r\n").endsWith("ok");
	}

	/**
	 * A response that came without a {@code Date} gets the time it came, as RFC 9110 (6.6.1) asks of a proxy and
	 * nginx does, and so do the balancer's own answers; a backend's own {@code Date} is passed on as it is.
	 */
	@Test
	void everyResponseHasOneDate() {
		Instant before = Instant.now().truncatedTo(ChronoUnit.SECONDS);
		String undated = get("/hints");
		String dated = get("/dated");
		String refusedByTheGateway = get("/garbage");
		String refusedAhead = get("/50%off");
		Instant after = Instant.now();

		assertThat(dated).startsWith("HTTP/1.1 200 OK\r\n");
		assertThat(date(dated)).isEqualTo(Instant.parse("1994-11-06T08:49:37Z"));
		List<String> datedHere = List.of(undated, refusedByTheGateway, refusedAhead);
		assertThat(datedHere).extracting((response) -> response.substring(0, 12))
			.containsExactly("HTTP/1.1 200", "HTTP/1.1 502", "HTTP/1.1 400");
		assertThat(datedHere).extracting(BackendResponseHeadsIntegrationTests::date)
			.allSatisfy((date) -> assertThat(date).isBetween(before, after));
	}

	/** The one {@code Date} of a response, as HTTP writes it ({@code Sun, 06 Nov 1994 08:49:37 GMT}). */
	private static Instant date(String response) {
		Matcher date = Pattern.compile("(?i)\r\ndate: ([^\r]*)\r\n").matcher(response);
		assertThat(date.find()).as("a Date in %s", response).isTrue();
		String value = date.group(1);
		assertThat(date.find()).as("a second Date in %s", response).isFalse();
		assertThat(value).matches("[A-Z][a-z]{2}, \\d{2} [A-Z][a-z]{2} \\d{4} \\d{2}:\\d{2}:\\d{2} GMT");
		return DateTimeFormatter.RFC_1123_DATE_TIME.parse(value, Instant::from);
	}

	@Test
	void aHeadThatIsNotValidHttpIsABadGatewayNamingTheFaultInOneLogLine(CapturedOutput output) throws IOException {
		double before = invalidResponses();

		assertThat(get("/garbage")).startsWith("HTTP/1.1 502 Bad Gateway\r\n")
			.contains("\"message\":\"The backend sent an invalid response: ");
		// gzip, chunked: the client got gzip's bytes as the body (nginx answers a 502 too); a status of two digits:
		// Spring refused it with a 500 and a stack trace
		Map<String, String> faults = new LinkedHashMap<>();
		faults.put("/bad-status", "the status code is not a number: \\\"abc\\\"");
		faults.put("/long-header", "HTTP header is larger than 8192 bytes. "
				+ "(raise spring.cloud.gateway.server.webflux.httpclient.max-header-size)");
		faults.put("/gzip-chunked", "its Transfer-Encoding is not supported: gzip, chunked (only chunked is)");
		faults.put("/status-99", "the status code is not three digits: 99");
		faults.forEach((path, fault) -> assertThat(get(path)).as(path)
			.startsWith("HTTP/1.1 502 Bad Gateway\r\n")
			.endsWith("\"message\":\"The backend sent an invalid response: " + fault + "\"}"));

		// Nothing of the streamed body had gone out: a 500 and a stack trace before
		assertThat(get("/bad-first-chunk")).startsWith("HTTP/1.1 502 Bad Gateway\r\n")
			.endsWith("\"message\":\"The backend's response broke off (invalid response: Invalid character in "
					+ "chunk size)\"}");

		assertThat(invalidResponses() - before).isEqualTo(5);
		assertThat(output.getOut().lines().filter((line) -> line.contains(" answered 502: The backend sent an "
				+ "invalid response: ") && line.contains(" WARN ") && line.contains("(backend " + backend.url())))
			.hasSize(5);
		assertThat(output.getOut()).doesNotContain(" ERROR ").doesNotContain("\tat ");
	}

	@Test
	void aResponseThatFallsSilentIsCutOffAfterTheReadTimeout(CapturedOutput output) throws IOException {
		double before = this.meters.get("balancer.timeouts").tag("timeout", "read").counter().count();

		// A short body is held back until complete: nothing reached the client, which gets a 502.
		assertThat(get("/stall")).startsWith("HTTP/1.1 502 Bad Gateway\r\n")
			.endsWith("\"message\":\"The backend's response broke off (the backend sent nothing for 300 ms in the "
					+ "middle of its response)\"}");

		// A streamed body has begun: the client has its head and first chunk, then the connection closes.
		String streamed = RawRequests.untilClosed(this.port,
				"GET /stall-chunked HTTP/1.1\r\nHost: localhost\r\n\r\n");
		assertThat(streamed).startsWith("HTTP/1.1 200 OK\r\n").contains("\r\n0123456789\r\n")
			.doesNotContain("\r\n0\r\n\r\n");
		assertThat(output.getOut()).contains("response to GET /stall-chunked broke off (the backend sent nothing "
				+ "for 300 ms in the middle of its response): closing the client connection");
		assertThat(this.meters.get("balancer.timeouts").tag("timeout", "read").counter().count() - before)
			.isEqualTo(2);
		assertThat(output.getOut()).doesNotContain(" ERROR ").doesNotContain("\tat ");
	}

	/** A body cut short by the backend's close: the client's connection is closed, and the log says when it broke. */
	@Test
	void aBodyTheBackendClosedHalfWayIsLoggedAsSuch(CapturedOutput output) throws IOException {
		String answer = RawRequests.untilClosed(this.port, "GET /short HTTP/1.1\r\nHost: localhost\r\n\r\n");

		assertThat(answer).startsWith("HTTP/1.1 200 OK\r\n").hasSizeLessThan(100_000);
		assertThat(output.getOut()).contains("response to GET /short broke off (connection closed in the middle of "
				+ "the response): closing the client connection");
	}

	@Test
	void aClientThatTakesNoneOfTheResponseIsCutOffAsTheClientsDoingNotTheBackends(CapturedOutput output)
			throws Exception {
		double readBefore = timeouts("read");
		double clientBefore = timeouts("client");

		long received;
		try (Socket socket = new Socket()) {
			socket.setReceiveBufferSize(8 * 1024);
			socket.connect(new InetSocketAddress("127.0.0.1", this.port));
			socket.setSoTimeout(5000);
			socket.getOutputStream().write("GET /big HTTP/1.1\r\nHost: localhost\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
			InputStream in = socket.getInputStream();
			assertThat(RawBackend.readHead(in)).startsWith("HTTP/1.1 200 OK\r\n");
			Thread.sleep(1000); // takes nothing for more than the 300 ms read timeout
			received = in.transferTo(OutputStream.nullOutputStream());
		}

		assertThat(received).as("bytes before the connection closed").isLessThan(RawBackend.BIG_LENGTH);
		assertThat(timeouts("client") - clientBefore).isEqualTo(1);
		assertThat(timeouts("read")).isEqualTo(readBefore);
		assertThat(output.getOut()).contains(" INFO ", "response to GET /big broke off (the client took none of the "
				+ "response for 300 ms): closing the client connection")
			.doesNotContain("the backend sent nothing")
			.doesNotContain(" ERROR ")
			.doesNotContain("\tat ");
	}

	@Test
	void aResponseWhosePartsComeWithinTheReadTimeoutIsWhole() throws IOException {
		assertThat(get("/trickle")).startsWith("HTTP/1.1 200 OK\r\n").endsWith("\r\n\r\n" + "0123456789".repeat(5));
	}

	private String get(String path) {
		try {
			return RawRequests.response(this.port, "GET " + path + " HTTP/1.1\r\nHost: localhost\r\n\r\n");
		}
		catch (IOException ex) {
			throw new UncheckedIOException(ex);
		}
	}

	private double timeouts(String timeout) {
		return this.meters.get("balancer.timeouts").tag("timeout", timeout).counter().count();
	}

	private double invalidResponses() {
		return this.meters.find("balancer.backend.requests").tag("status", "invalid_response").counters().stream()
			.mapToDouble((counter) -> counter.count())
			.sum();
	}

}
