package dev.balancer.faults;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import dev.balancer.support.BalancerTestProperties;
import dev.balancer.support.RawBackend;
import dev.balancer.support.RawRequests;
import dev.balancer.support.TestBackend;
import dev.balancer.support.TestBackend.RecordedRequest;

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

/**
 * The time a client takes to upload a body counts toward no backend timeout: an upload of 2 s passes response and
 * request timeouts of 1 s, where it got a 504 that also counted against the backend. A client that stops
 * sending gets a 408 after the client timeout and leaves the backend's record clean; a backend that stops taking
 * the body still gets the response timeout. A client that goes away in the middle of its upload is not counted
 * against the backend either, where it counted as a connection the backend closed and ejected it.
 */
@SpringBootTest(webEnvironment = WebEnvironment.RANDOM_PORT,
		properties = { "balancer.health-check.interval=1h", "management.server.port=0",
				"balancer.timeouts.response=1s", "balancer.timeouts.request=1s",
				"balancer.timeouts.client=2s", "balancer.outlier-detection.consecutive-errors=1",
				// each failure that counts against the backend ejects it, for a moment only: tests see it in the
				// ejection count, and the next one still has its backend
				"balancer.outlier-detection.base-ejection-time=1ms" })
@DirtiesContext // stops its health checker and frees its ports; no other test class shares this context
@ExtendWith(OutputCaptureExtension.class)
class UploadFaultsIntegrationTests {

	static final TestBackend backend = TestBackend.start("sink");

	@DynamicPropertySource
	static void balancer(DynamicPropertyRegistry registry) {
		BalancerTestProperties.register(registry, List.of(backend));
		// The backend under a second name: outlier detection never ejects the last backend available, and the
		// ejections these tests count need another.
		registry.add("balancer.backends[1].url", () -> "http://localhost:" + backend.port());
	}

	@AfterAll
	static void stop() {
		backend.stop();
	}

	@LocalServerPort
	int port;

	@Autowired
	MeterRegistry meters;

	@BeforeEach
	void clear() {
		backend.clear();
	}

	@Test
	void anUploadLongerThanTheResponseAndRequestTimeoutsArrivesWhole() throws Exception {
		double timeoutsBefore = timeouts("response") + timeouts("request");
		String part = "0123456789abcdef".repeat(32); // 512 bytes

		try (Socket socket = connected()) {
			OutputStream out = socket.getOutputStream();
			out.write(ascii("POST /upload HTTP/1.1\r\nHost: localhost\r\nContent-Length: " + (20 * part.length())
					+ "\r\n\r\n"));
			for (int i = 0; i < 20; i++) { // 2 s of upload, a part every 100 ms
				out.write(ascii(part));
				out.flush();
				Thread.sleep(100);
			}

			assertThat(RawBackend.readHead(socket.getInputStream())).startsWith("HTTP/1.1 200 OK\r\n");
		}
		RecordedRequest received = backend.requests().get(0);
		assertThat(received.bodyLength()).isEqualTo(20 * part.length());
		assertThat(new String(received.body(), StandardCharsets.US_ASCII)).isEqualTo(part.repeat(20));
		assertThat(timeouts("response") + timeouts("request")).isEqualTo(timeoutsBefore);
	}

	@Test
	void aClientThatStopsSendingItsBodyGetsA408AndTheBackendIsNotBlamed(CapturedOutput output) throws IOException {
		double clientTimeoutsBefore = timeouts("client");
		double backendTimeoutsBefore = timeouts("response") + timeouts("request");
		double ejectionsBefore = ejections();

		String answer = RawRequests.untilClosed(this.port,
				"POST /upload HTTP/1.1\r\nHost: localhost\r\nContent-Length: 1000\r\n\r\n0123456789");

		assertThat(answer).startsWith("HTTP/1.1 408 Request Timeout\r\n")
			.containsIgnoringCase("\r\nConnection: close\r\n")
			.endsWith("\"message\":\"The request timed out: the client sent nothing for 2000 ms in the middle of its "
					+ "request body\"}");
		assertThat(timeouts("client") - clientTimeoutsBefore).isEqualTo(1);
		assertThat(timeouts("response") + timeouts("request")).isEqualTo(backendTimeoutsBefore);
		assertThat(this.meters.get("balancer.backend.requests").tag("status", "client_timeout").counter().count())
			.isGreaterThanOrEqualTo(1);
		assertThat(output.getOut()).contains(" INFO ", "POST /upload answered 408: ");
		assertThat(ejections()).as("ejections").isEqualTo(ejectionsBefore);
	}

	@Test
	void aBackendThatTakesNoneOfTheBodyTimesOutAfterTheResponseTimeout() throws Exception {
		double responseTimeoutsBefore = timeouts("response");
		double clientTimeoutsBefore = timeouts("client");
		double ejectionsBefore = ejections();
		long length = 64L * 1024 * 1024; // more than every buffer between the client and the backend holds

		try (Socket socket = connected()) {
			OutputStream out = socket.getOutputStream();
			out.write(ascii("POST " + TestBackend.TAKES_NOTHING_PATH + " HTTP/1.1\r\nHost: localhost\r\n"
					+ "Content-Length: " + length + "\r\n\r\n"));
			Thread pusher = new Thread(() -> push(out, length), "upload");
			pusher.setDaemon(true);
			pusher.start();

			InputStream in = socket.getInputStream();
			assertThat(RawBackend.readHead(in)).startsWith("HTTP/1.1 504 Gateway Timeout\r\n");
			assertThat(new String(in.readNBytes(100), StandardCharsets.UTF_8))
				.contains("\"message\":\"The backend did not respond in time (attempt 1)\"");
		}
		assertThat(timeouts("response") - responseTimeoutsBefore).isEqualTo(1);
		assertThat(timeouts("client")).isEqualTo(clientTimeoutsBefore);
		assertThat(ejections()).as("ejections").isEqualTo(ejectionsBefore + 1);
	}

	@Test
	void aClientThatGoesAwayInTheMiddleOfItsUploadIsNotCountedAgainstTheBackend(CapturedOutput output)
			throws Exception {
		double abortsBefore = clientAborts();
		double ejectionsBefore = ejections();

		try (Socket socket = connected()) {
			OutputStream out = socket.getOutputStream();
			out.write(ascii("PUT /upload HTTP/1.1\r\nHost: localhost\r\nContent-Length: 100000\r\n\r\n"));
			out.write(new byte[1000]);
			out.flush();
			Thread.sleep(200); // on its way to the backend
		}
		await().atMost(Duration.ofSeconds(5)).until(() -> clientAborts() > abortsBefore);

		assertThat(clientAborts() - abortsBefore).isEqualTo(1);
		assertThat(output.getOut()).contains(" INFO ", "PUT /upload answered 400: The request broke off: the client "
				+ "closed the connection in the middle of its request body").doesNotContain(" answered 502");
		assertThat(ejections()).as("ejections").isEqualTo(ejectionsBefore);
	}

	/**
	 * A body malformed in its first chunk size, which comes with the head, before anything reads the body: Reactor
	 * Netty took the failure for an uncaught one, logged it at ERROR with a stack trace and closed the connection,
	 * and the client got no answer.
	 */
	@Test
	void aChunkedBodyMalformedFromItsFirstChunkGetsA400AndNoErrorInTheLog(CapturedOutput output) throws Exception {
		String answer;
		try (Socket socket = connected()) {
			socket.getOutputStream().write(ascii("PUT /file HTTP/1.1\r\nHost: localhost\r\n"
					+ "Transfer-Encoding: chunked\r\n\r\nzz\r\nworld\r\n0\r\n\r\n"));
			answer = new String(socket.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
		}

		assertThat(answer).startsWith("HTTP/1.1 400 Bad Request\r\n")
			.endsWith("\"message\":\"The request broke off: the client's request body is not valid: Invalid "
					+ "character in chunk size\"}");
		assertThat(backend.requests()).as("requests the backend read whole").isEmpty();
		assertThat(output.getOut()).contains(" INFO ", "PUT /file answered 400: The request broke off")
			.doesNotContain(" ERROR ")
			.doesNotContain("onUncaughtException");
	}

	/**
	 * Reactor Netty ended such a body as if it were complete: the backend got the chunks before the fault as the
	 * whole body, and its answer then met the empty 400 already sent, with an ERROR and a stack trace in the log.
	 */
	@Test
	void aChunkedBodyThatTurnsMalformedNeverReachesTheBackendAsComplete(CapturedOutput output) throws Exception {
		double abortsBefore = clientAborts();
		double ejectionsBefore = ejections();
		String answer;

		try (Socket socket = connected()) {
			OutputStream out = socket.getOutputStream();
			out.write(ascii("PUT /file HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\n\r\n"
					+ "5\r\nhello\r\n"));
			out.flush();
			Thread.sleep(200); // on its way to the backend
			out.write(ascii("zz\r\nworld\r\n0\r\n\r\n"));
			out.flush();
			answer = new String(socket.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
		}

		assertThat(answer).startsWith("HTTP/1.1 400 Bad Request\r\n")
			.containsIgnoringCase("\r\nConnection: close\r\n")
			.endsWith("\"message\":\"The request broke off: the client's request body is not valid: Invalid "
					+ "character in chunk size\"}");
		await().atMost(Duration.ofSeconds(5)).until(() -> clientAborts() > abortsBefore);
		assertThat(backend.requests()).as("requests the backend read whole").isEmpty();
		assertThat(ejections()).as("ejections").isEqualTo(ejectionsBefore);
		assertThat(output.getOut()).contains(" INFO ", "PUT /file answered 400: The request broke off")
			.doesNotContain("Decoding failed")
			.doesNotContain("Status and headers already sent");
	}

	private double ejections() {
		return this.meters.find("balancer.outlier.ejections").counters().stream().mapToDouble(Counter::count).sum();
	}

	private double clientAborts() {
		return this.meters.find("balancer.backend.requests").tag("status", "client_abort").counters().stream()
			.mapToDouble(Counter::count)
			.sum();
	}

	private Socket connected() throws IOException {
		Socket socket = new Socket("127.0.0.1", this.port);
		socket.setSoTimeout(5000);
		return socket;
	}

	/** Writes the body as fast as it is taken, until all is sent or the connection goes. */
	private static void push(OutputStream out, long length) {
		byte[] chunk = new byte[64 * 1024];
		try {
			for (long sent = 0; sent < length; sent += chunk.length) {
				out.write(chunk);
			}
		}
		catch (IOException ex) {
			// the test is over and closed the connection
		}
	}

	private double timeouts(String timeout) {
		return this.meters.get("balancer.timeouts").tag("timeout", timeout).counter().count();
	}

	private static byte[] ascii(String text) {
		return text.getBytes(StandardCharsets.US_ASCII);
	}

}
