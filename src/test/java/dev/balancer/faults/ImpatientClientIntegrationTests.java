package dev.balancer.faults;

import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import reactor.core.Disposable;
import reactor.core.publisher.Mono;
import reactor.netty.DisposableServer;
import reactor.netty.http.HttpProtocol;
import reactor.netty.http.client.HttpClient;

import dev.balancer.support.BalancerTestProperties;
import dev.balancer.support.LoopbackBackend;

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
 * A client that gives up while the backend has not yet answered, nginx's 499, by closing its connection or
 * resetting its HTTP/2 stream: the attempt is counted as {@code client_abort}, where it was counted as nothing at
 * all, it counts toward no ejection, and the balancer lets go of the backend connection.
 */
@SpringBootTest(webEnvironment = WebEnvironment.RANDOM_PORT,
		properties = { "balancer.health-check.interval=1h", "balancer.outlier-detection.consecutive-errors=1",
				"server.http2.enabled=true" })
@DirtiesContext // stops its health checker and frees its ports; no other test class shares this context
@ExtendWith(OutputCaptureExtension.class)
class ImpatientClientIntegrationTests {

	static final Duration WAIT = Duration.ofSeconds(5);

	/** Requests for {@code /wait} that reached the backend. */
	static final AtomicInteger waiting = new AtomicInteger();

	/** Of those, the ones whose connection the balancer closed. */
	static final AtomicInteger abandoned = new AtomicInteger();

	/** Answers probes, and never answers {@code /wait}. */
	static final DisposableServer backend = LoopbackBackend.start((routes) -> routes
			.get("/wait", (request, response) -> Mono.<Void>never()
				.doOnSubscribe((subscription) -> waiting.incrementAndGet())
				.doOnCancel(abandoned::incrementAndGet)));

	@DynamicPropertySource
	static void balancer(DynamicPropertyRegistry registry) {
		BalancerTestProperties.register(registry, backend);
		// The backend under a second name: outlier detection never ejects the last backend available, and a
		// failure counted against the backend would eject it here only with another.
		registry.add("balancer.backends[1].url", () -> "http://localhost:" + backend.port());
	}

	@AfterAll
	static void stop() {
		backend.disposeNow();
	}

	@LocalServerPort
	int port;

	@Autowired
	MeterRegistry meters;

	@Test
	void aClientThatGivesUpWhileWaitingIsCountedAsItsOwnDoingAndFreesTheBackendConnection(CapturedOutput output)
			throws Exception {
		Counts before = new Counts();
		double ejectionsBefore = ejections();

		try (Socket socket = new Socket("127.0.0.1", this.port)) {
			OutputStream out = socket.getOutputStream();
			out.write("GET /wait HTTP/1.1\r\nHost: localhost\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
			out.flush();
			await().atMost(WAIT).until(() -> waiting.get() > before.waiting);
		}

		assertCountedAsAClientAbortAndTheBackendConnectionClosed(before);
		assertThat(this.meters.find("balancer.backend.requests").counters())
			.allSatisfy((count) -> assertThat(count.getId().getTag("status")).isEqualTo("client_abort"));
		assertThat(ejections()).as("ejections").isEqualTo(ejectionsBefore);
		assertThat(output.getOut()).doesNotContain(" ERROR ").doesNotContain("answered ");
	}

	@Test
	void aClientThatResetsItsHttp2StreamWhileWaitingIsCountedAsItsOwnDoing() {
		Counts before = new Counts();
		HttpClient client = HttpClient.create().protocol(HttpProtocol.H2C);

		Disposable request = client.get().uri("http://127.0.0.1:" + this.port + "/wait").response().subscribe();
		await().atMost(WAIT).until(() -> waiting.get() > before.waiting);
		request.dispose(); // resets the stream; the connection stays

		assertCountedAsAClientAbortAndTheBackendConnectionClosed(before);
	}

	private void assertCountedAsAClientAbortAndTheBackendConnectionClosed(Counts before) {
		await().atMost(WAIT).until(() -> clientAborts() > before.clientAborts && abandoned.get() > before.abandoned);
		assertThat(clientAborts() - before.clientAborts).isEqualTo(1);
		assertThat(abandoned.get() - before.abandoned).as("backend connections closed").isEqualTo(1);
		assertThat(this.meters.get("balancer.backend.requests.active").gauges())
			.allSatisfy((active) -> assertThat(active.value()).isZero());
	}

	/** The counts a test compares with after the client gave up. */
	private final class Counts {

		final double clientAborts = clientAborts();

		final int waiting = ImpatientClientIntegrationTests.waiting.get();

		final int abandoned = ImpatientClientIntegrationTests.abandoned.get();

	}

	private double clientAborts() {
		return this.meters.find("balancer.backend.requests").tag("status", "client_abort").counters().stream()
			.mapToDouble(Counter::count)
			.sum();
	}

	private double ejections() {
		return this.meters.find("balancer.outlier.ejections").counters().stream().mapToDouble(Counter::count).sum();
	}

}
