package dev.balancer.it;

import java.io.IOException;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Mono;
import reactor.netty.DisposableServer;
import reactor.netty.http.websocket.WebsocketInbound;

import dev.balancer.support.BalancerProcess;
import dev.balancer.support.FreePorts;
import dev.balancer.support.LoopbackBackend;
import dev.balancer.support.TestBackend;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;
import static org.awaitility.Awaitility.await;

/**
 * SIGTERM, as Kubernetes sends it: readiness stops answering UP, new connections are refused, the request
 * already in flight to a slow backend completes with 200, and the process exits with 0. WebSocket sessions are closed
 * with 1001 at once, rather than holding the stop for the drain timeout.
 */
class GracefulShutdownIT {

	final TestBackend slow = TestBackend.start("slow").delay(Duration.ofSeconds(3));

	final HttpClient client = HttpClient.newHttpClient();

	@AfterEach
	void stop() {
		this.slow.stop();
	}

	@Test
	void aRequestInFlightWhenSigtermArrivesCompletesAndTheProcessExitsZero() throws Exception {
		int managementPort = FreePorts.next();
		try (BalancerProcess balancer = BalancerProcess.start(List.of(),
				List.of("--server.port=0", "--management.server.port=" + managementPort,
						"--balancer.backends[0].url=" + this.slow.url(), "--balancer.health-check.path=/health"))) {
			int port = balancer.awaitStarted(Duration.ofSeconds(60));
			await().atMost(Duration.ofSeconds(10)).until(() -> readiness(managementPort) == 200);

			CompletableFuture<HttpResponse<String>> inFlight = this.client.sendAsync(
					HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/slow")).build(),
					HttpResponse.BodyHandlers.ofString());
			await().atMost(Duration.ofSeconds(5)).until(() -> this.slow.requestCount() == 1);

			balancer.terminate();

			await().atMost(Duration.ofSeconds(2)).untilAsserted(() -> assertThatExceptionOfType(ConnectException.class)
				.as("new connections are refused while draining").isThrownBy(() -> connect(port)));
			assertThat(readiness(managementPort)).as("readiness while draining").isNotEqualTo(200);
			assertThat(inFlight).as("the request in flight still completes").isNotDone();

			HttpResponse<String> response = inFlight.get(10, TimeUnit.SECONDS);
			assertThat(response.statusCode()).isEqualTo(200);
			assertThat(response.body()).isEqualTo("slow");
			assertThat(response.headers().firstValue("connection")).as("the client is told the connection ends")
				.hasValue("close");
			assertThat(balancer.awaitExit(Duration.ofSeconds(30))).isZero();
			assertThat(balancer.output()).contains("Graceful shutdown complete");
		}
	}

	/**
	 * A request still waiting for its backend when the drain timeout ends gets the 503 README promises, with its
	 * connection closed, before the process exits: the client got an empty reply, while the log said it had been
	 * answered.
	 */
	@Test
	void aRequestStillAtWorkWhenTheDrainTimesOutGetsA503() throws Exception {
		TestBackend slower = TestBackend.start("slower").delay(Duration.ofSeconds(20));
		int managementPort = FreePorts.next();
		try (BalancerProcess balancer = BalancerProcess.start(List.of(),
				List.of("--server.port=0", "--management.server.port=" + managementPort,
						"--balancer.backends[0].url=" + slower.url(), "--balancer.health-check.path=/health",
						"--spring.lifecycle.timeout-per-shutdown-phase=2s"))) {
			int port = balancer.awaitStarted(Duration.ofSeconds(60));
			await().atMost(Duration.ofSeconds(10)).until(() -> readiness(managementPort) == 200);
			CompletableFuture<HttpResponse<String>> inFlight = this.client.sendAsync(
					HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/slower")).build(),
					HttpResponse.BodyHandlers.ofString());
			await().atMost(Duration.ofSeconds(5)).until(() -> slower.requestCount() == 1);

			balancer.terminate();

			HttpResponse<String> response = inFlight.get(15, TimeUnit.SECONDS);
			assertThat(response.statusCode()).isEqualTo(503);
			assertThat(response.body()).contains("\"message\":\"The balancer is shutting down\"");
			assertThat(balancer.awaitExit(Duration.ofSeconds(30))).isZero();
			assertThat(balancer.output())
				.contains("The drain timeout is over with 1 request still at work: answering with 503");
		}
		finally {
			slower.stop();
		}
	}

	/**
	 * A session, which would never end by itself, is closed on both sides with 1001 "Going Away", and the stop goes on
	 * without it: the process exits well before the drain timeout of 60 s, where it waited all of it and then cut
	 * the session without a close code.
	 */
	@Test
	void anOpenWebSocketSessionIsClosedWith1001AndDoesNotHoldTheStop() throws Exception {
		CompletableFuture<String> backendClosed = new CompletableFuture<>();
		DisposableServer chat = LoopbackBackend.start((routes) -> routes.ws("/chat",
				(in, out) -> out.sendString(in.receive().asString().map((text) -> "echo " + text))
					.then()
					.and(closeOf(in).doOnNext(backendClosed::complete))));
		int managementPort = FreePorts.next();
		try (BalancerProcess balancer = BalancerProcess.start(List.of(),
				List.of("--server.port=0", "--management.server.port=" + managementPort,
						"--balancer.backends[0].url=http://127.0.0.1:" + chat.port(),
						"--balancer.health-check.path=" + TestBackend.HEALTH_PATH,
						"--spring.lifecycle.timeout-per-shutdown-phase=60s"))) {
			int port = balancer.awaitStarted(Duration.ofSeconds(60));
			await().atMost(Duration.ofSeconds(10)).until(() -> readiness(managementPort) == 200);
			Queue<String> received = new ConcurrentLinkedQueue<>();
			CompletableFuture<String> clientClosed = reactor.netty.http.client.HttpClient.create()
				.websocket()
				.uri("ws://127.0.0.1:" + port + "/chat")
				.handle((in, out) -> out.sendString(Mono.just("hello"))
					.then()
					.thenMany(in.receive().asString().doOnNext(received::add).then(closeOf(in))))
				.next()
				.toFuture();
			await().atMost(Duration.ofSeconds(10)).until(() -> received.contains("echo hello"));

			balancer.terminate();

			assertThat(clientClosed.get(10, TimeUnit.SECONDS)).isEqualTo("1001 The balancer is shutting down");
			assertThat(backendClosed.get(10, TimeUnit.SECONDS)).isEqualTo("1001 The balancer is shutting down");
			assertThat(balancer.awaitExit(Duration.ofSeconds(30))).isZero();
			assertThat(balancer.output())
				.contains("Closing 1 WebSocket session with 1001 Going Away: the balancer is shutting down")
				.contains("Graceful shutdown complete");
		}
		finally {
			chat.disposeNow();
		}
	}

	/** The close code and reason the other side sent, as {@code "1001 reason"}. */
	private static Mono<String> closeOf(WebsocketInbound in) {
		return in.receiveCloseStatus().map((status) -> status.code() + " " + status.reasonText());
	}

	private static void connect(int port) throws IOException {
		try (Socket socket = new Socket()) {
			socket.connect(new InetSocketAddress("127.0.0.1", port), 500);
		}
	}

	/** The readiness probe's status, or -1 when nothing answers. */
	private int readiness(int managementPort) {
		try {
			return this.client.send(HttpRequest
				.newBuilder(URI.create("http://127.0.0.1:" + managementPort + "/actuator/health/readiness"))
				.timeout(Duration.ofSeconds(2))
				.build(), HttpResponse.BodyHandlers.discarding()).statusCode();
		}
		catch (IOException ex) {
			return -1;
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
			return -1;
		}
	}

}
