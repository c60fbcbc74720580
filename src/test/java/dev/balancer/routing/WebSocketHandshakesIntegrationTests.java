package dev.balancer.routing;

import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.websocketx.WebSocketClientHandshakeException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Sinks;
import reactor.netty.DisposableServer;
import reactor.netty.http.client.HttpClient;
import reactor.netty.http.client.WebsocketClientSpec;
import reactor.netty.http.server.HttpServerRoutes;
import reactor.netty.http.server.WebsocketServerSpec;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;

import dev.balancer.support.BalancerTestProperties;
import dev.balancer.support.LoopbackBackend;
import dev.balancer.support.RawRequests;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.context.SpringBootTest.WebEnvironment;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.annotation.DirtiesContext;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.awaitility.Awaitility.await;

/**
 * The backend's WebSocket handshake comes before the client's ({@link WebSocketProxyFilter}): a backend's refusal
 * reaches the client as its status, a backend that fails the handshake is retried as a failed HTTP attempt, and the
 * client's {@code 101} names the subprotocol the backend chose. The gateway's own filter answered every client
 * {@code 101} first and then closed the session at once with {@code 1002} when the backend said no.
 */
@SpringBootTest(webEnvironment = WebEnvironment.RANDOM_PORT, properties = {
		"balancer.outlier-detection.consecutive-errors=100", // "a"'s refusals here are on purpose
		"balancer.debug-headers=true", // which once failed every session: the 101 had gone out before they were set
		"spring.cloud.gateway.server.webflux.httpclient.websocket.max-frame-payload-length=1048576" })
@DirtiesContext
class WebSocketHandshakesIntegrationTests {

	/** The limit on the length of messages of the backends, the test's client and, here, the balancer. */
	static final int MB = 1024 * 1024;

	/** Handshakes "a" got on {@code /flaky} and {@code /hangup}. */
	static final AtomicInteger refusedByA = new AtomicInteger();

	static final DisposableServer a = LoopbackBackend.start((routes) -> routes(routes, "a")
		.get("/flaky", (request, response) -> {
			refusedByA.incrementAndGet();
			return response.status(HttpResponseStatus.SERVICE_UNAVAILABLE).send();
		})
		.get("/hangup", (request, response) -> {
			refusedByA.incrementAndGet();
			return response.withConnection((connection) -> connection.channel().close()).then();
		}));

	static final DisposableServer b = LoopbackBackend.start((routes) -> routes(routes, "b")
		.get("/flaky", (request, response) -> response.sendWebsocket((in, out) -> out.sendString(Mono.just("b"))))
		.get("/hangup", (request, response) -> response.sendWebsocket((in, out) -> out.sendString(Mono.just("b")))));

	private static HttpServerRoutes routes(HttpServerRoutes routes, String name) {
		return routes
			.ws("/echo",
					(in, out) -> out
						.sendString(in.aggregateFrames(MB).receive().asString().map((text) -> name + ": " + text)),
					WebsocketServerSpec.builder().maxFramePayloadLength(MB).build())
			.get("/refused", (request, response) -> response.status(HttpResponseStatus.UNAUTHORIZED)
				.header("WWW-Authenticate", "Bearer realm=\"chat\"")
				.header("Keep-Alive", "timeout=5") // the backend's connection's, not the client's
				.header("Content-Type", "text/plain") // of a body the client does not get
				.sendString(Mono.just("no token")))
			.get("/protocols", (request, response) -> response.sendWebsocket(
					(in, out) -> out.sendString(Mono.just("chose " + in.selectedSubprotocol())),
					WebsocketServerSpec.builder().protocols("v1.chat").build()))
			.get("/cookie", (request, response) -> response.header("Set-Cookie", "sid=" + name + "; HttpOnly")
				.header("X-Session", name)
				.header("Keep-Alive", "timeout=5") // the backend's connection's, not the client's
				.sendWebsocket((in, out) -> out.sendString(Mono.just(name))))
			.get("/bye", (request, response) -> response
				.sendWebsocket((in, out) -> out.sendString(Mono.just("bye")).then(out.sendClose(4000, "done"))));
	}

	@DynamicPropertySource
	static void balancer(DynamicPropertyRegistry registry) {
		BalancerTestProperties.register(registry, a, b);
	}

	@AfterAll
	static void stopBackends() {
		a.disposeNow();
		b.disposeNow();
	}

	@LocalServerPort
	int port;

	@Autowired
	MeterRegistry meters;

	@Test
	void sessionsGoToEitherBackendAndAreCountedAsThe101sTheyGot() {
		double before = requests("101");

		assertThat(List.of(session("/echo", "hello"), session("/echo", "hello")))
			.containsExactlyInAnyOrder(List.of("a: hello"), List.of("b: hello"));
		assertThat(requests("101")).isEqualTo(before + 2);
	}

	/**
	 * An open session is in flight to its backend until it closes, as least connections needs to know (nginx's
	 * least_conn counts it too); the gateway's exchange, which ended the count, ends with the 101.
	 */
	@Test
	void anOpenSessionIsInFlightToItsBackendUntilItCloses() {
		Sinks.Empty<Void> close = Sinks.empty();
		List<Double> inFlight = new CopyOnWriteArrayList<>();
		HttpClient.create()
			.websocket()
			.uri("ws://127.0.0.1:" + this.port + "/echo")
			.handle((in, out) -> out.sendString(Mono.just("hello"))
				.then()
				// read on until told to close: a receive cancelled earlier would close the session
				.thenMany(in.receive().asString().doOnNext((echo) -> inFlight.add(active())))
				.takeUntilOther(close.asMono()))
			.subscribe();
		await().atMost(Duration.ofSeconds(10)).until(() -> !inFlight.isEmpty());
		await().during(Duration.ofMillis(300)).atMost(Duration.ofSeconds(2)).until(() -> active() == 1);

		close.tryEmitEmpty();

		assertThat(inFlight).containsExactly(1.0);
		await().atMost(Duration.ofSeconds(5)).until(() -> active() == 0);
	}

	private double active() {
		return this.meters.find("balancer.backend.requests.active")
			.gauges()
			.stream()
			.mapToDouble(Gauge::value)
			.sum();
	}

	/** A 401 with its challenge, as the backend sent it, where the client got a 101 and then a 1002 close. */
	@Test
	void aBackendsRefusalReachesTheClientAsItsStatusAndHeaders() throws Exception {
		String answer = RawRequests.untilClosed(this.port,
				RawRequests.webSocketHandshake("/refused", "Connection: close\r\n"));

		assertThat(answer).startsWith("HTTP/1.1 401 Unauthorized\r\n")
			.containsIgnoringCase("\r\nWWW-Authenticate: Bearer realm=\"chat\"\r\n")
			.containsIgnoringCase("\r\nX-Balancer-Attempts: 1\r\n")
			.doesNotContainIgnoringCase("upgrade: websocket")
			.doesNotContainIgnoringCase("keep-alive: timeout=5")
			.doesNotContainIgnoringCase("text/plain")
			.doesNotContainIgnoringCase("sec-websocket-accept");
		WebSocketClientHandshakeException refused = catchThrowableOfType(WebSocketClientHandshakeException.class,
				() -> session("/refused", "hello"));
		assertThat(refused.response().status().code()).isEqualTo(401);
		assertThat(requests("401")).as("counted as the backends' answers").isEqualTo(2);
	}

	/** Requests counted under a backend, whatever their status. */
	private double requests() {
		return this.meters.find("balancer.backend.requests").counters().stream().mapToDouble(Counter::count).sum();
	}

	private double requests(String status) {
		return this.meters.find("balancer.backend.requests")
			.tag("status", status)
			.counters()
			.stream()
			.mapToDouble(Counter::count)
			.sum();
	}

	/**
	 * The headers of the backend's {@code 101} reach the client in its own, as those of any response: a session
	 * cookie, the backend's own headers; not those of the backend's connection.
	 */
	@Test
	void theBackendsHandshakeHeadersReachTheClient() throws Exception {
		String answer = RawRequests.untilClosed(this.port, RawRequests.webSocketHandshake("/cookie", ""));

		assertThat(answer).startsWith("HTTP/1.1 101 Switching Protocols\r\n")
			.containsPattern("(?i)\r\nSet-Cookie: sid=[ab]; HttpOnly\r\n")
			.containsPattern("(?i)\r\nX-Session: [ab]\r\n")
			.containsIgnoringCase("\r\nsec-websocket-accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n")
			.doesNotContainIgnoringCase("keep-alive");
	}

	/** balancer.debug-headers names the backend of a session and the attempts in its 101, as in any response. */
	@Test
	void theDebugHeadersNameTheBackendInThe101() throws Exception {
		for (int i = 0; i < 2; i++) { // one to each backend
			String answer = RawRequests.untilClosed(this.port, RawRequests.webSocketHandshake("/cookie", ""));

			String backend = answer.toLowerCase(Locale.ROOT).contains("x-session: a") ? "http://127.0.0.1:" + a.port()
					: "http://127.0.0.1:" + b.port();
			assertThat(answer).startsWith("HTTP/1.1 101 Switching Protocols\r\n")
				.containsIgnoringCase("\r\nX-Balancer-Attempts: 1\r\n")
				.containsIgnoringCase("\r\nX-Balancer-Backend: " + backend + "\r\n");
		}
		String retried = RawRequests.untilClosed(this.port, RawRequests.webSocketHandshake("/flaky", ""));
		assertThat(retried).startsWith("HTTP/1.1 101 Switching Protocols\r\n")
			.containsPattern("(?i)\r\nX-Balancer-Attempts: [12]\r\n")
			.containsIgnoringCase("\r\nX-Balancer-Backend: http://127.0.0.1:" + b.port() + "\r\n");
	}

	/** A 503 to the handshake is retried on the other backend, as a 503 to any GET. */
	@Test
	void aHandshakeAnsweredWith503IsRetriedOnAnotherBackend() {
		int before = refusedByA.get();

		assertThat(List.of(session("/flaky", "x"), session("/flaky", "x"))).containsExactly(List.of("b"), List.of("b"));
		assertThat(refusedByA.get()).as("round robin sent one of them to a first").isGreaterThan(before);
	}

	/** A backend that closes the connection without answering fails the attempt as a reset one: retried. */
	@Test
	void aHandshakeTheBackendHungUpOnIsRetriedOnAnotherBackend() {
		int before = refusedByA.get();

		assertThat(List.of(session("/hangup", "x"), session("/hangup", "x"))).containsExactly(List.of("b"),
				List.of("b"));
		assertThat(refusedByA.get()).isGreaterThan(before);
	}

	/** The client's 101 names the subprotocol the backend chose of those the client asked for. */
	@Test
	void theClientGetsTheSubprotocolTheBackendChose() {
		List<String> answer = HttpClient.create()
			.websocket(WebsocketClientSpec.builder().protocols("v2.chat, v1.chat").build())
			.uri("ws://127.0.0.1:" + this.port + "/protocols")
			.handle((in, out) -> in.receive().asString().take(1).map((text) -> in.selectedSubprotocol() + "/" + text))
			.collectList()
			.block(Duration.ofSeconds(10));

		assertThat(answer).containsExactly("v1.chat/chose v1.chat");
	}

	/** A backend's close code reaches the client. */
	@Test
	void theBackendsCloseStatusReachesTheClient() {
		List<Object> closed = HttpClient.create()
			.websocket()
			.uri("ws://127.0.0.1:" + this.port + "/bye")
			.handle((in, out) -> in.receive()
				.asString()
				.collectList()
				.zipWith(in.receiveCloseStatus(), (texts, status) -> List.<Object>of(texts, status.code())))
			.blockFirst(Duration.ofSeconds(10));

		assertThat(closed).containsExactly(List.of("bye"), 4000);
	}

	/** With the limit raised as README says, a message of 300 KB goes through both ways. */
	@Test
	void aMessageUnderARaisedLimitGoesThroughBothWays() {
		String large = "y".repeat(300_000);

		assertThat(session("/echo", large)).singleElement()
			.satisfies((echo) -> assertThat(echo).endsWith(": " + large));
	}

	/**
	 * A handshake Spring would refuse is refused before a backend is picked: no backend is asked for a session, nor
	 * is the refusal counted under one.
	 */
	@Test
	void anInvalidClientHandshakeIsRefusedBeforeAnyBackend() throws Exception {
		int before = refusedByA.get();
		double countedBefore = requests();
		String answer = RawRequests.untilClosed(this.port, "GET /flaky HTTP/1.1\r\nHost: localhost\r\n"
				+ "Connection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\n"
				+ "Connection: close\r\n\r\n");

		assertThat(answer).startsWith("HTTP/1.1 400 Bad Request\r\n")
			.endsWith("\"message\":\"Invalid WebSocket handshake: no Sec-WebSocket-Key header\"}");
		assertThat(refusedByA.get()).isEqualTo(before);
		assertThat(requests()).as("requests counted under a backend").isEqualTo(countedBefore);
	}

	/** The messages of a session to {@code target}: one sent, then what comes back before the backend closes. */
	private List<String> session(String target, String message) {
		return HttpClient.create()
			.websocket(WebsocketClientSpec.builder().maxFramePayloadLength(MB).build())
			.uri("ws://127.0.0.1:" + this.port + target)
			.handle((in, out) -> out.sendString(Flux.just(message))
				.then()
				.thenMany(in.aggregateFrames(MB).receive().asString().take(1)))
			.collectList()
			.block(Duration.ofSeconds(10));
	}

}
