package dev.balancer.routing;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Mono;
import reactor.netty.DisposableServer;
import reactor.netty.http.client.HttpClient;
import reactor.netty.http.websocket.WebsocketInbound;

import io.micrometer.core.instrument.Counter;
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
import static org.awaitility.Awaitility.await;

/**
 * When the balancer stops ({@link OpenWebSocketSessions#stop()}, as on SIGTERM before the drain), its WebSocket
 * sessions are closed on both sides with 1001 "Going Away", and a handshake that comes after gets a 503.
 */
@SpringBootTest(webEnvironment = WebEnvironment.RANDOM_PORT)
@DirtiesContext
class WebSocketSessionsOnStopIntegrationTests {

	/** How the backend's session closed: its close code and reason. */
	static final CompletableFuture<String> backendClosed = new CompletableFuture<>();

	static final DisposableServer backend = LoopbackBackend.start((routes) -> routes.ws("/echo",
			(in, out) -> out.sendString(in.receive().asString().map((text) -> "echo " + text))
				.then()
				.and(closeOf(in).doOnNext(backendClosed::complete))));

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

	@Autowired
	OpenWebSocketSessions sessions;

	@Autowired
	MeterRegistry meters;

	@Test
	void openSessionsAreClosedWith1001AndLaterHandshakesGetA503() throws Exception {
		CompletableFuture<String> clientClosed = HttpClient.create()
			.websocket()
			.uri("ws://127.0.0.1:" + this.port + "/echo")
			.handle((in, out) -> out.sendString(Mono.just("hello"))
				.then()
				.thenMany(in.receive().then(closeOf(in))))
			.next()
			.toFuture();
		await().atMost(Duration.ofSeconds(10)).until(() -> this.sessions.size() == 1);

		this.sessions.stop();

		assertThat(clientClosed.get(10, TimeUnit.SECONDS))
			.isEqualTo("1001 The balancer is shutting down");
		assertThat(backendClosed.get(10, TimeUnit.SECONDS))
			.isEqualTo("1001 The balancer is shutting down");
		await().atMost(Duration.ofSeconds(10)).until(() -> this.sessions.size() == 0);
		double counted = backendRequests();
		assertThat(RawRequests.untilClosed(this.port, RawRequests.webSocketHandshake("/echo", "")))
			.startsWith("HTTP/1.1 503 Service Unavailable\r\n")
			.containsIgnoringCase("\r\nConnection: close\r\n")
			.endsWith("\"message\":\"The balancer is shutting down\"}");
		assertThat(backendRequests()).as("the 503 is not counted under a backend").isEqualTo(counted);
	}

	private double backendRequests() {
		return this.meters.find("balancer.backend.requests").counters().stream().mapToDouble(Counter::count).sum();
	}

	/** The close code and reason the other side sent, as {@code "1001 reason"}. */
	private static Mono<String> closeOf(WebsocketInbound in) {
		return in.receiveCloseStatus().map((status) -> status.code() + " " + status.reasonText());
	}

}
