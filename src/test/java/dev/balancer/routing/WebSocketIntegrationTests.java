package dev.balancer.routing;

import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.netty.DisposableServer;
import reactor.netty.http.client.HttpClient;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;

import dev.balancer.support.BalancerTestProperties;
import dev.balancer.support.LoopbackBackend;
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
import static org.awaitility.Awaitility.await;

/** A WebSocket session through the balancer to a real WebSocket backend. */
@SpringBootTest(webEnvironment = WebEnvironment.RANDOM_PORT, properties = "balancer.access-log.enabled=true")
@ExtendWith(OutputCaptureExtension.class)
@DirtiesContext
class WebSocketIntegrationTests {

	/** How the backend's sessions on {@code /echo} were closed: their close codes and reasons, in turn. */
	static final BlockingQueue<String> closedAtTheBackend = new LinkedBlockingQueue<>();

	static final DisposableServer backend = LoopbackBackend.start((routes) -> routes
			.ws("/echo", (in, out) -> out.sendString(in.receive().asString().map((text) -> "echo " + text))
				.then()
				.and(in.receiveCloseStatus()
					.doOnNext((status) -> closedAtTheBackend.add(status.code() + " " + status.reasonText()))))
			.get("/handshake", (request, response) -> response
				.sendWebsocket((in, out) -> out.sendString(Mono.just("handshake for " + request.uri()))))
			.get("/silent", (request, response) -> Mono.never())
			.get("/headers", (request, response) -> response.sendWebsocket((in, out) -> out.sendString(Mono.just(
					request.requestHeaders().entries().stream().map((header) -> header.getKey().toLowerCase(Locale.ROOT)
							+ "=" + header.getValue()).collect(Collectors.joining(";", "<", ">")))))));

	@DynamicPropertySource
	static void balancer(DynamicPropertyRegistry registry) {
		BalancerTestProperties.register(registry, backend);
		// The first two time the wait for a response to begin, the third a silent response, not a session: a short
		// one must not cut a session.
		registry.add("balancer.timeouts.request", () -> "500ms");
		registry.add("balancer.timeouts.response", () -> "500ms");
		registry.add("balancer.timeouts.read", () -> "500ms");
	}

	@AfterAll
	static void stopBackend() {
		backend.disposeNow();
	}

	@LocalServerPort
	int port;

	@Autowired
	MeterRegistry meters;

	@Test
	void messagesGoBothWays() {
		List<String> replies = HttpClient.create()
			.websocket()
			.uri("ws://127.0.0.1:" + this.port + "/echo")
			.handle((in, out) -> out.sendString(Flux.just("one", "two", "three"))
				.then()
				.thenMany(in.receive().asString().take(3)))
			.collectList()
			.block(Duration.ofSeconds(10));

		assertThat(replies).containsExactly("echo one", "echo two", "echo three");
	}

	/**
	 * The client's close code reaches the backend, also right after a message whose answer is still on its way: the
	 * answer, cut off by the close, cancelled the backend's side, which Reactor Netty closed without a code (1005
	 * at the backend) before the client's could be passed on.
	 */
	@Test
	void theClientsCloseStatusReachesTheBackend() throws Exception {
		for (int session = 0; session < 20; session++) {
			closedAtTheBackend.clear();
			HttpClient.create()
				.websocket()
				.uri("ws://127.0.0.1:" + this.port + "/echo")
				.handle((in, out) -> out.sendString(Mono.just("one")).then().then(out.sendClose(4001, "bye")))
				.blockLast(Duration.ofSeconds(10));

			assertThat(closedAtTheBackend.poll(10, TimeUnit.SECONDS)).as("session %d", session).isEqualTo("4001 bye");
		}
	}

	@Test
	void theHandshakeReachesTheBackendWithPathAndQueryAsSent() {
		String target = "/handshake?room=1&user=b&room=2&&token=%2Fx";

		List<String> replies = HttpClient.create()
			.websocket()
			.uri("ws://127.0.0.1:" + this.port + target)
			.handle((in, out) -> in.receive().asString().take(1))
			.collectList()
			.block(Duration.ofSeconds(10));

		assertThat(replies).containsExactly("handshake for " + target);
	}

	/**
	 * The backend's handshake has the headers the client's had, and no {@code User-Agent} or {@code Accept} of the
	 * balancer's HTTP client: Reactor Netty's added {@code ReactorNetty/1.3.6} and {@code *}{@code /*}.
	 */
	@Test
	void theBackendGetsNoUserAgentOrAcceptTheClientDidNotSend() throws Exception {
		String headers = headersTheBackendGot("Origin: https://app.example\r\n");

		assertThat(headers).contains("origin=https://app.example", "upgrade=websocket", "x-forwarded-for=127.0.0.1")
			.doesNotContain("user-agent", "accept=");
	}

	@Test
	void theClientsOwnUserAgentAndAcceptReachTheBackend() throws Exception {
		String headers = headersTheBackendGot("User-Agent: curl/8.5.0\r\nAccept: text/plain\r\n");

		assertThat(headers).contains("user-agent=curl/8.5.0", "accept=text/plain").doesNotContain("ReactorNetty");
	}

	/** The request headers {@code /headers} told the client of in its message, {@code <name=value;...>}. */
	private String headersTheBackendGot(String extraHeaders) throws Exception {
		String session = RawRequests.untilClosed(this.port, RawRequests.webSocketHandshake("/headers", extraHeaders));
		assertThat(session).startsWith("HTTP/1.1 101 Switching Protocols\r\n").contains("<", ">");
		return session.substring(session.indexOf('<'), session.indexOf('>') + 1);
	}

	/**
	 * A session has its line in the access log, written when it ends, with the bytes of the messages sent to the
	 * client, as nginx logs it: Reactor Netty takes its log off a connection switched to WebSocket, so a session
	 * had none.
	 */
	@Test
	void aSessionIsLoggedWhenItEnds(CapturedOutput output) {
		String target = "/handshake?logged=1";
		List<String> replies = HttpClient.create()
			.websocket()
			.uri("ws://127.0.0.1:" + this.port + target)
			.handle((in, out) -> in.receive().asString())
			.collectList()
			.block(Duration.ofSeconds(10));
		assertThat(replies).containsExactly("handshake for " + target);

		await().atMost(Duration.ofSeconds(10)).until(() -> output.getOut().contains(" \"GET " + target));
		assertThat(output.getOut().lines().filter((line) -> line.contains(" \"GET " + target)))
			.singleElement()
			.satisfies((line) -> assertThat(line).contains("reactor.netty.http.server.AccessLog")
				.matches(".* : 127\\.0\\.0\\.1 - - \\[\\d{2}/\\w{3}/\\d{4}:\\d{2}:\\d{2}:\\d{2} [+-]\\d{4}] "
						+ "\"GET /handshake\\?logged=1 HTTP/1\\.1\" 101 "
						+ ("handshake for " + target).length() + " \\d+ backend=http://127\\.0\\.0\\.1:" + backend.port()
						+ " attempts=1"));
	}

	/** The backend's response time is the wait for its handshake answer, which a session's length must not skew. */
	@Test
	void aSessionIsNotTimedAsTheBackendsResponse() {
		Timer responseTime = this.meters.get("balancer.backend.response.time").timer();
		long before = responseTime.count();
		double totalBefore = responseTime.totalTime(TimeUnit.MILLISECONDS);

		assertThat(sessionOfOneAndAHalfSeconds()).containsExactly("echo before", "echo after");
		await().atMost(Duration.ofSeconds(5)).until(() -> responseTime.count() > before);
		assertThat(responseTime.count()).isEqualTo(before + 1);
		assertThat(responseTime.totalTime(TimeUnit.MILLISECONDS) - totalBefore).isLessThan(1500);
	}

	@Test
	void aSessionOutlivesTheTimeouts() {
		double before = timeouts();

		assertThat(sessionOfOneAndAHalfSeconds()).containsExactly("echo before", "echo after");
		assertThat(this.meters.find("balancer.timeouts").counters()).hasSize(4);
		assertThat(timeouts()).isEqualTo(before);
	}

	private double timeouts() {
		return this.meters.find("balancer.timeouts").counters().stream().mapToDouble(Counter::count).sum();
	}

	/**
	 * A backend that never answers the handshake is timed out as any response: the client gets a 504, where the
	 * gateway's own filter had switched it to WebSocket already and left it waiting.
	 */
	@Test
	void aHandshakeTheBackendNeverAnswersGetsA504() throws Exception {
		String answer = RawRequests.untilClosed(this.port,
				RawRequests.webSocketHandshake("/silent", "Connection: close\r\n"));

		assertThat(answer).startsWith("HTTP/1.1 504 Gateway Timeout\r\n");
	}

	/**
	 * A message over {@code ...httpclient.websocket.max-frame-payload-length} (64 KB here, the default) closes the
	 * session with 1009, as README says.
	 */
	@Test
	void aMessageOverTheLimitClosesTheSessionWith1009() {
		Integer code = HttpClient.create()
			.websocket()
			.uri("ws://127.0.0.1:" + this.port + "/echo")
			.handle((in, out) -> out.sendString(Mono.just("x".repeat(70_000)))
				.then()
				.then(in.receiveCloseStatus().map((status) -> status.code())))
			.blockFirst(Duration.ofSeconds(10));

		assertThat(code).isEqualTo(1009);
	}

	/** A message, 1.5 s of silence, another: longer than each of the balancer's timeouts in this test. */
	private List<String> sessionOfOneAndAHalfSeconds() {
		return HttpClient.create()
			.websocket()
			.uri("ws://127.0.0.1:" + this.port + "/echo")
			.handle((in, out) -> out
				.sendString(Flux.just("before").concatWith(Mono.delay(Duration.ofMillis(1500)).map((tick) -> "after")))
				.then()
				.thenMany(in.receive().asString().take(2)))
			.collectList()
			.block(Duration.ofSeconds(10));
	}

}
