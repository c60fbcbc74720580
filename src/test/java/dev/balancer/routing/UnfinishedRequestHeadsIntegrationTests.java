package dev.balancer.routing;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import reactor.core.publisher.Mono;
import reactor.netty.DisposableServer;

import dev.balancer.metrics.ClientErrors;
import dev.balancer.support.BalancerTestProperties;
import dev.balancer.support.LoopbackBackend;
import dev.balancer.support.RawRequests;

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

/**
 * A request head that never comes whole: the connection is closed after {@code server.netty.idle-timeout}, however
 * slowly the head trickles in, and the log says who closed a connection in the middle of a head. It said
 * {@code answered 400 to ..., a request that is not valid HTTP: Connection closed before received headers}, though
 * nothing was or could be answered.
 */
@SpringBootTest(webEnvironment = WebEnvironment.RANDOM_PORT, properties = "server.netty.idle-timeout=1s")
@DirtiesContext // stops its health checker and frees its ports; no other test class shares this context
@ExtendWith(OutputCaptureExtension.class)
class UnfinishedRequestHeadsIntegrationTests {

	static final String PARTIAL_HEAD = "GET /partial HTTP/1.1\r\nHost: balancer.example\r\n";

	static final DisposableServer backend = LoopbackBackend.start((routes) -> routes.route((request) -> true,
			(request, response) -> response.sendString(Mono.just("answer to " + request.uri()))));

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

	@Test
	void aHeadThatStopsHalfWayIsClosedByTheIdleTimeoutWithoutAnAnswer(CapturedOutput output) throws IOException {
		long before = ClientErrors.timesRefused(ClientErrors.Reason.HEAD_TIMEOUT);
		try (Socket client = new Socket("127.0.0.1", this.port)) {
			client.setSoTimeout(10_000); // ten times the idle timeout
			client.getOutputStream().write(PARTIAL_HEAD.getBytes(StandardCharsets.ISO_8859_1));

			assertThat(client.getInputStream().readAllBytes()).isEmpty();

			String line = "closed the connection of " + client.getLocalSocketAddress()
					+ ": its request head did not come whole within server.netty.idle-timeout";
			await().atMost(Duration.ofSeconds(5)).until(() -> output.getOut().contains(line));
			assertThat(output.getOut()).doesNotContain("to " + client.getLocalSocketAddress() + ", a request");
		}
		assertThat(ClientErrors.timesRefused(ClientErrors.Reason.HEAD_TIMEOUT)).isEqualTo(before + 1);
	}

	/** One header line every 100 ms, ten times the idle timeout in all: the timer does not wait for each line. */
	@Test
	void aHeadTrickledOutLineByLineIsClosedByTheIdleTimeoutToo(CapturedOutput output) throws IOException {
		try (Socket client = new Socket("127.0.0.1", this.port)) {
			client.setSoTimeout(100);
			OutputStream out = client.getOutputStream();
			InputStream in = client.getInputStream();
			out.write(PARTIAL_HEAD.getBytes(StandardCharsets.ISO_8859_1));
			int read = 0;
			for (int line = 0; line < 100 && read == 0; line++) {
				try {
					out.write(("X-Line-" + line + ": more\r\n").getBytes(StandardCharsets.ISO_8859_1));
					read = in.read();
				}
				catch (SocketTimeoutException stillOpen) {
					// the balancer is still waiting for the rest of the head
				}
				catch (IOException closed) {
					read = -1; // a write after the balancer closed the connection is reset
				}
			}

			assertThat(read).as("the connection closed, with nothing sent").isEqualTo(-1);
			await().atMost(Duration.ofSeconds(5))
				.until(() -> output.getOut()
					.contains("closed the connection of " + client.getLocalSocketAddress()
							+ ": its request head did not come whole within server.netty.idle-timeout"));
		}
	}

	@Test
	void aClientThatClosesInTheMiddleOfAHeadIsLoggedAsClosingIt(CapturedOutput output) throws Exception {
		long before = ClientErrors.timesRefused(ClientErrors.Reason.HEAD_TIMEOUT);
		String client;
		try (Socket socket = new Socket("127.0.0.1", this.port)) {
			socket.getOutputStream().write(PARTIAL_HEAD.getBytes(StandardCharsets.ISO_8859_1));
			client = socket.getLocalSocketAddress().toString();
		}

		await().atMost(Duration.ofSeconds(5))
			.until(() -> output.getOut().contains(client + " closed its connection in the middle of a request head"));
		assertThat(output.getOut()).doesNotContain("to " + client + ", a request")
			.doesNotContain("closed the connection of " + client);
		assertThat(ClientErrors.timesRefused(ClientErrors.Reason.HEAD_TIMEOUT)).as("the client's doing")
			.isEqualTo(before);
	}

	@Test
	void aWholeHeadIsServedAsBefore() throws IOException {
		assertThat(RawRequests.response(this.port, "GET /whole HTTP/1.1\r\nHost: balancer.example\r\n"
				+ "Connection: close\r\n\r\n")).startsWith("HTTP/1.1 200 OK").endsWith("answer to /whole");
	}

}
