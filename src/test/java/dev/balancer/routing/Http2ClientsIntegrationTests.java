package dev.balancer.routing;

import java.io.IOException;
import java.net.SocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;

import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http2.Http2Error;
import io.netty.handler.codec.http2.Http2StreamChannel;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.netty.ByteBufFlux;
import reactor.netty.http.HttpProtocol;
import reactor.netty.http.client.HttpClient;

import dev.balancer.metrics.ClientErrors;
import dev.balancer.support.BalancerTestProperties;
import dev.balancer.support.Http2Requests;
import dev.balancer.support.Http2Requests.Answer;
import dev.balancer.support.RawRequests;
import dev.balancer.support.TestBackend;
import dev.balancer.support.TestBackend.RecordedRequest;

import org.springframework.boot.reactor.netty.NettyServerCustomizer;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.context.TestConfiguration;
import org.springframework.boot.test.context.SpringBootTest.WebEnvironment;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Import;
import org.springframework.test.annotation.DirtiesContext;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * With {@code server.http2.enabled=true}, clients speaking HTTP/2 in clear text, with prior knowledge or by
 * upgrading from HTTP/1.1, are proxied too, and their requests get the balancer's checks of request heads
 * ({@link ClientRequestHeads}) as HTTP/1.1 requests do, which are still there for HTTP/1.1 requests.
 */
@SpringBootTest(webEnvironment = WebEnvironment.RANDOM_PORT, properties = "server.http2.enabled=true")
@DirtiesContext // stops its health checker and frees its ports; no other test class shares this context
@ExtendWith(OutputCaptureExtension.class)
@Import(Http2ClientsIntegrationTests.ClosedConnections.class)
class Http2ClientsIntegrationTests {

	static final String MALFORMED_ESCAPE = "{\"status\":400,\"error\":\"Bad Request\",\"message\":\"The request is not "
			+ "valid HTTP: a malformed percent-escape in the request target\"}";

	static final TestBackend backend = TestBackend.start("one");

	/** The addresses of the clients whose connections the balancer has closed (HTTP/2 streams aside). */
	static final Set<SocketAddress> closedConnections = ConcurrentHashMap.newKeySet();

	@DynamicPropertySource
	static void balancer(DynamicPropertyRegistry registry) {
		BalancerTestProperties.register(registry, List.of(backend));
	}

	@AfterAll
	static void stop() {
		backend.stop();
	}

	@LocalServerPort
	int port;

	@Test
	void anHttp2ClientWithPriorKnowledgeIsProxied() {
		assertProxiedOverHttp2(HttpClient.create().protocol(HttpProtocol.H2C), "/prior?q=1");
	}

	@Test
	void anHttp11ClientThatUpgradesToHttp2IsProxied() {
		assertProxiedOverHttp2(HttpClient.create().protocol(HttpProtocol.HTTP11, HttpProtocol.H2C), "/upgraded");
	}

	/**
	 * HTTP/2 frames a body with DATA frames, not a length or chunks: a body without {@code content-length} must still
	 * reach the HTTP/1.1 backend whole, and a request without one with none.
	 */
	@Test
	void anHttp2ClientsBodyWithoutALengthReachesTheBackendWholeAndNoBodyAsNone() {
		backend.clear();
		HttpClient client = HttpClient.create().protocol(HttpProtocol.H2C);
		String part = "0123456789".repeat(100);

		Integer withBody = client.post()
			.uri("http://127.0.0.1:" + this.port + "/h2-upload")
			.send(ByteBufFlux.fromString(Flux.just(part, part, part)))
			.responseSingle((response, body) -> Mono.just(response.status().code()))
			.block(Duration.ofSeconds(10));
		Integer withoutBody = client.post()
			.uri("http://127.0.0.1:" + this.port + "/h2-empty")
			.responseSingle((response, body) -> Mono.just(response.status().code()))
			.block(Duration.ofSeconds(10));

		assertThat(List.of(withBody, withoutBody)).containsExactly(200, 200);
		assertThat(backend.requests()).satisfiesExactly((upload) -> {
			assertThat(upload.path()).isEqualTo("/h2-upload");
			assertThat(new String(upload.body(), StandardCharsets.UTF_8)).isEqualTo(part.repeat(3));
		}, (empty) -> {
			assertThat(empty.path()).isEqualTo("/h2-empty");
			assertThat(empty.bodyLength()).isZero();
			assertThat(empty.header("Transfer-Encoding")).isNull();
		});
	}

	/** The server sets up HTTP/1.1 in another way where it offers h2c: the checks must be there all the same. */
	@Test
	void http11RequestsThatAreNotValidHttpAreStillAnsweredByTheBalancer() throws IOException {
		backend.clear();

		assertThat(RawRequests.untilClosed(this.port, "GET /50%off HTTP/1.1\r\nHost: localhost\r\n\r\n"))
			.startsWith("HTTP/1.1 400 Bad Request\r\n")
			.endsWith("{\"status\":400,\"error\":\"Bad Request\",\"message\":\"The request is not valid HTTP: "
					+ "a malformed percent-escape in the request target\"}");
		assertThat(RawRequests.untilClosed(this.port, "GET /no-host HTTP/1.1\r\n\r\n"))
			.startsWith("HTTP/1.1 400 Bad Request\r\n")
			.contains("\"message\":\"The request is not valid HTTP: ");
		assertThat(RawRequests.statusLine(this.port, "GET /caf\u00c3\u00a9 HTTP/1.1\r\nHost: localhost\r\n\r\n"))
			.isEqualTo("HTTP/1.1 200 OK");
		assertThat(backend.requests()).extracting(RecordedRequest::path).containsExactly("/caf%C3%A9");
	}

	/**
	 * An HTTP/2 request that is not valid HTTP gets the balancer's JSON error and one INFO line naming the
	 * connection and stream, where Spring answered an empty 400 and logged nothing; the stream ends, and the
	 * connection goes on serving the client's other requests.
	 */
	@Test
	void anHttp2RequestThatIsNotValidHttpGetsAJsonAnswerOnItsStreamAndTheConnectionGoesOn(CapturedOutput output)
			throws Exception {
		backend.clear();
		try (Http2Requests connection = Http2Requests.clearText(this.port)) {
			Answer refused = connection.send(Http2Requests.headers("GET", "/50%off", "localhost"));
			Answer next = connection.send(Http2Requests.headers("GET", "/after", "localhost"));

			assertThat(refused.status()).isEqualTo(400);
			assertThat(refused.headers().get("content-type")).hasToString("application/json");
			assertThat(refused.headers().contains("connection")).isFalse();
			assertThat(refused.body()).isEqualTo(MALFORMED_ESCAPE);
			assertThat(List.of(next.status(), next.body())).containsExactly(200, "one");
		}
		assertThat(backend.requests()).extracting(RecordedRequest::path).containsExactly("/after");
		assertThat(output.getOut().lines().filter((line) -> line.contains("answered 400")))
			.singleElement()
			.asString()
			.contains(" INFO ", "a request that is not valid HTTP: a malformed percent-escape")
			.containsPattern("\\[[0-9a-f]{8}/3\\] answered 400 to /127.0.0.1:");
	}

	/**
	 * HEADERS whose {@code :authority} and {@code host} differ, malformed by RFC 9113 (8.3.1), which Netty refuses to
	 * translate to an HTTP/1.1 request, and a {@code :path} with a space, which no HTTP/1.1 request line can hold:
	 * the JSON 400 on their streams and an INFO line each, where the streams were reset with {@code CANCEL} and
	 * nothing logged; the connection goes on. So does a {@code :path} with an absolute URL, whose host took the
	 * place of {@code :authority}'s.
	 */
	@Test
	void headersNettyCannotTranslateOrWithASpaceInThePathGetAJsonAnswerOnTheirStream(CapturedOutput output)
			throws Exception {
		backend.clear();
		try (Http2Requests connection = Http2Requests.clearText(this.port)) {
			Answer twoHosts = connection.send(Http2Requests.headers("GET", "/two-hosts", "localhost").add("host", "x"));
			Answer space = connection.send(Http2Requests.headers("GET", "/a b", "localhost"));
			Answer absolute = connection.send(Http2Requests.headers("GET", "http://elsewhere.example/x", "localhost"));
			Answer next = connection.send(Http2Requests.headers("GET", "/after", "localhost"));

			assertThat(List.of(twoHosts.status(), space.status(), absolute.status())).containsExactly(400, 400, 400);
			assertThat(absolute.body()).contains("The request is not valid HTTP: an absolute URL in :path");
			assertThat(twoHosts.body()).isEqualTo("{\"status\":400,\"error\":\"Bad Request\",\"message\":\"The "
					+ "request is not valid HTTP: Conflicting ':authority' and 'host' headers found\"}");
			assertThat(space.body()).contains("The request is not valid HTTP: The URI contain illegal characters: /a b");
			assertThat(List.of(next.status(), next.body())).containsExactly(200, "one");
		}
		assertThat(backend.requests()).extracting(RecordedRequest::path).containsExactly("/after");
		assertThat(output.getOut().lines().filter((line) -> line.contains("answered 400")))
			.satisfiesExactly((line) -> assertThat(line).contains(" INFO ",
					"a request that is not valid HTTP: Conflicting ':authority' and 'host' headers found"),
					(line) -> assertThat(line).contains(" INFO ", "The URI contain illegal characters: /a b"),
					(line) -> assertThat(line).contains(" INFO ", "an absolute URL in :path"));
	}

	/**
	 * A client still sending its body when refused gets the whole answer, then a reset of the stream with
	 * {@code NO_ERROR}, RFC 9113's way to say "stop sending" without failing the response.
	 */
	@Test
	void aClientStillSendingItsBodyGetsTheWholeAnswerThenAResetWithoutError() throws Exception {
		backend.clear();
		try (Http2Requests connection = Http2Requests.clearText(this.port)) {
			Answer refused = connection.send(Http2Requests.headers("POST", "/50%off", "localhost"),
					"part of a body".getBytes(StandardCharsets.UTF_8), false);

			assertThat(List.of(refused.status(), refused.body(), refused.ended()))
				.containsExactly(400, MALFORMED_ESCAPE, true);
			assertThat(refused.reset()).isEqualTo(Http2Error.NO_ERROR);
		}
		assertThat(backend.requests()).isEmpty();
	}

	/**
	 * Raw bytes above 127 in {@code :path} reach the backend percent-encoded as the client's bytes, as over HTTP/1.1
	 * (Spring wrote each byte out as a character in UTF-8); a request with neither {@code :authority} nor
	 * {@code Host} is refused rather than sent on with a made-up {@code X-Forwarded-Host}; {@code OPTIONS *} is
	 * answered here; a client's own access-log header is not sent on, nor Netty's {@code x-http2-*} headers (the
	 * stream's id, the {@code :scheme} the client claimed).
	 */
	@Test
	void http2RequestsGetTheChecksOfHttp11Requests() throws Exception {
		backend.clear();
		try (Http2Requests connection = Http2Requests.clearText(this.port)) {
			Answer raw = connection.send(Http2Requests.headers("GET", "/caf\u00c3\u00a9?q=\u00c3\u00a9", "localhost"));
			Answer noAuthority = connection.send(Http2Requests.headers("GET", "/no-authority", null));
			Answer serverOptions = connection.send(Http2Requests.headers("OPTIONS", "*", "localhost"));
			Answer spoofed = connection.send(Http2Requests.headers("GET", "/spoofed", "localhost")
				.add("x-balancer-access-log", "backend=http://elsewhere attempts=9")
				.scheme("https")); // in clear text: Netty's x-http2-scheme would say https

			assertThat(raw.status()).isEqualTo(200);
			assertThat(noAuthority.status()).isEqualTo(400);
			assertThat(noAuthority.body()).contains("The request is not valid HTTP: no :authority or Host");
			assertThat(List.of(serverOptions.status(), serverOptions.body())).containsExactly(200, "");
			assertThat(spoofed.status()).isEqualTo(200);
		}
		assertThat(backend.requests()).satisfiesExactly((raw) -> {
			assertThat(raw.path()).isEqualTo("/caf%C3%A9");
			assertThat(raw.query()).isEqualTo("q=%C3%A9");
		}, (spoofed) -> {
			assertThat(spoofed.path()).isEqualTo("/spoofed");
			assertThat(spoofed.header("x-balancer-access-log")).isNull();
			assertThat(spoofed.header("x-forwarded-proto")).isEqualTo("http");
			assertThat(spoofed.header("x-http2-scheme")).isNull();
			assertThat(spoofed.header("x-http2-stream-id")).isNull();
		});
	}

	/**
	 * A request asking to upgrade with a body (as {@code curl --http2 -d ...} sends to an {@code http://} URL) is
	 * served on HTTP/1.1, body and all, where Netty's upgrade handler answered an empty 413 and lost it.
	 */
	@Test
	void aRequestAskingToUpgradeWithABodyIsServedOnHttp11() throws IOException {
		backend.clear();

		assertThat(RawRequests.response(this.port, "POST /h2c-body HTTP/1.1\r\nHost: localhost\r\n"
				+ "Connection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\nHTTP2-Settings: AAMAAABkAAQCAAAAAAIAAAAA\r\n"
				+ "Content-Length: 5\r\n\r\nhello"))
			.startsWith("HTTP/1.1 200 OK\r\n")
			.endsWith("one");
		assertThat(backend.requests()).singleElement().satisfies((request) -> {
			assertThat(request.method()).isEqualTo("POST");
			assertThat(new String(request.body(), StandardCharsets.UTF_8)).isEqualTo("hello");
			assertThat(request.header("Upgrade")).isNull();
			assertThat(request.header("HTTP2-Settings")).isNull();
		});

		// an upgrade to another protocol got the same empty 413
		backend.clear();
		assertThat(RawRequests.response(this.port, "POST /other-upgrade HTTP/1.1\r\nHost: localhost\r\n"
				+ "Connection: Upgrade\r\nUpgrade: foo\r\nContent-Length: 5\r\n\r\nhello"))
			.startsWith("HTTP/1.1 200 OK\r\n")
			.endsWith("one");
		assertThat(backend.requests()).singleElement()
			.satisfies((request) -> assertThat(new String(request.body(), StandardCharsets.UTF_8)).isEqualTo("hello"));
	}

	/**
	 * A request that is not valid HTTP is not upgraded: it is refused on HTTP/1.1 with the balancer's answer, where
	 * Netty carried it over to HTTP/2 without its fault (a 500 and a stack trace for an invalid length) or with one
	 * {@code Host} of two.
	 */
	@Test
	void aRequestThatIsNotValidHttpIsRefusedRatherThanUpgraded(CapturedOutput output) throws IOException {
		backend.clear();
		String upgrade = "Connection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\n"
				+ "HTTP2-Settings: AAMAAABkAAQCAAAAAAIAAAAA\r\n";

		assertThat(RawRequests.untilClosed(this.port, "POST /bad-length HTTP/1.1\r\nHost: localhost\r\n" + upgrade
				+ "Content-Length: abc\r\n\r\nabc"))
			.startsWith("HTTP/1.1 400 Bad Request\r\n")
			.contains("\"message\":\"The request is not valid HTTP: ");
		assertThat(RawRequests.untilClosed(this.port,
				"GET /two-hosts HTTP/1.1\r\nHost: a.example\r\nHost: b.example\r\n" + upgrade + "\r\n"))
			.startsWith("HTTP/1.1 400 Bad Request\r\n")
			.endsWith("\"message\":\"The request is not valid HTTP: more than one Host header\"}");
		assertThat(backend.requests()).isEmpty();
		assertThat(output.getOut()).doesNotContain(" ERROR ").doesNotContain("\tat ");
	}

	/**
	 * Requests Netty's HTTP/2 codec refuses (two {@code content-length}s; a connection header, which HTTP/2 forbids,
	 * with a body after it) get a reset stream or a closed connection, and one INFO line each, where Reactor Netty
	 * and Netty logged each at ERROR or WARN with a stack trace.
	 */
	@Test
	void malformedHttp2RequestsLeaveOneLineEach(CapturedOutput output) throws Exception {
		backend.clear();

		assertMalformedRequestsLeaveOneLineEach(() -> Http2Requests.clearText(this.port), output);
		assertThat(backend.requests()).isEmpty();
	}

	/**
	 * A client that resets its HTTP/2 connection leaves no WARN, where Netty logged one for each (the balancer logs
	 * it at DEBUG). Checked once the balancer has closed the connection: the reset reaches it as a failed read, and
	 * is logged then, or as a failed write, which Netty does not log.
	 */
	@Test
	void aClientResettingItsConnectionLeavesNoWarning(CapturedOutput output) throws Exception {
		Http2Requests connection = Http2Requests.clearText(this.port);
		assertThat(connection.send(Http2Requests.headers("GET", "/before-reset", "localhost")).status())
			.isEqualTo(200);
		SocketAddress client = connection.localAddress();

		connection.reset();

		await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> assertThat(closedConnections).contains(client));
		assertThat(output.getOut()).doesNotContain(" WARN ").doesNotContain(" ERROR ");
	}

	/**
	 * Sends two requests Netty's HTTP/2 codec refuses, each on a connection of its own, and checks the answers and
	 * the log: a stream reset with {@code PROTOCOL_ERROR}, a connection closed without an answer, one INFO line each.
	 */
	static void assertMalformedRequestsLeaveOneLineEach(Callable<Http2Requests> connect, CapturedOutput output)
			throws Exception {
		byte[] body = "0123456789".getBytes(StandardCharsets.UTF_8);
		long before = ClientErrors.timesRefused(ClientErrors.Reason.HTTP2_PROTOCOL);
		try (Http2Requests connection = connect.call()) {
			Answer twoLengths = connection.send(Http2Requests.headers("POST", "/two-lengths", "localhost")
				.add("content-length", "10")
				.add("content-length", "11"), body, true);

			assertThat(twoLengths.reset()).isEqualTo(Http2Error.PROTOCOL_ERROR);
		}
		try (Http2Requests connection = connect.call()) {
			Answer connectionHeader = connection.send(Http2Requests.headers("POST", "/connection-header", "localhost")
				.add("connection", "keep-alive"), body, false);

			assertThat(connectionHeader.status()).isEqualTo(-1);
		}
		await().atMost(Duration.ofSeconds(5))
			.untilAsserted(() -> assertThat(output.getOut()).contains("closed for a protocol error"));
		assertThat(output.getOut()).contains("reset for a protocol error: Multiple content-length headers received")
			.doesNotContain(" ERROR ")
			.doesNotContain(" WARN ")
			.doesNotContain("\tat ");
		assertThat(ClientErrors.timesRefused(ClientErrors.Reason.HTTP2_PROTOCOL)).as("the stream and the connection")
			.isEqualTo(before + 2);
	}

	private void assertProxiedOverHttp2(HttpClient client, String target) {
		backend.clear();
		List<Object> answer = client.get()
			.uri("http://127.0.0.1:" + this.port + target)
			.responseSingle((response, body) -> body.asString()
				.map((text) -> List.<Object>of(response.status().code(), response.version(), text)))
			.block(Duration.ofSeconds(10));

		assertThat(answer).containsExactly(200, HttpVersion.valueOf("HTTP/2.0"), "one");
		assertThat(backend.requests()).extracting(RecordedRequest::path)
			.containsExactly(target.contains("?") ? target.substring(0, target.indexOf('?')) : target);
	}

	@TestConfiguration(proxyBeanMethods = false)
	static class ClosedConnections {

		@Bean
		NettyServerCustomizer recordClosedConnections() {
			return (server) -> server.doOnChannelInit((observer, channel, remoteAddress) -> {
				SocketAddress client = channel.remoteAddress();
				if (!(channel instanceof Http2StreamChannel) && client != null) {
					channel.closeFuture().addListener((closed) -> closedConnections.add(client));
				}
			});
		}

	}

}
