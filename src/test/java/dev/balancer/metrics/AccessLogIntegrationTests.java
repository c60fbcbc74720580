package dev.balancer.metrics;

import java.io.IOException;
import java.time.Duration;
import java.util.List;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import dev.balancer.health.BackendHealthRegistry;
import dev.balancer.support.BalancerTestProperties;
import dev.balancer.support.RawRequests;
import dev.balancer.support.TestBackend;

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
 * With {@code balancer.access-log.enabled}, one line per request, Reactor Netty's with the backend that answered and
 * the number of attempts added; Reactor Netty's own names no backend.
 */
@SpringBootTest(webEnvironment = WebEnvironment.RANDOM_PORT, properties = "balancer.access-log.enabled=true")
@ExtendWith(OutputCaptureExtension.class)
@DirtiesContext
class AccessLogIntegrationTests {

	static final Duration PATIENCE = Duration.ofSeconds(10);

	static final TestBackend backend = TestBackend.start("one");

	/** A second backend, down by its probes but for the test that needs a retry on another backend. */
	static final TestBackend spare = TestBackend.start("spare").healthStatus(503);

	@DynamicPropertySource
	static void balancer(DynamicPropertyRegistry registry) {
		BalancerTestProperties.register(registry, List.of(backend, spare));
		registry.add("balancer.health-check.interval", () -> "200ms"); // brings the stopped backend back soon
	}

	@AfterAll
	static void stop() {
		backend.stop();
		spare.stop();
	}

	@Autowired
	BackendHealthRegistry health;

	@LocalServerPort
	int port;

	@BeforeEach
	void spareDown() {
		await().atMost(PATIENCE).until(() -> this.health.healthy().size() == 1);
	}

	@AfterEach
	void heal() {
		spare.status(200).healthStatus(503);
		backend.status(200);
		if (!backend.isRunning()) {
			backend.restart();
			await().atMost(PATIENCE)
				.pollInterval(Duration.ofMillis(200))
				.until(() -> get("/healed", "").equals("HTTP/1.1 200 OK"));
		}
		backend.clear();
	}

	@Test
	void aRequestIsLoggedWithItsBackend(CapturedOutput output) throws IOException {
		assertThat(get("/logged?a=1", "")).isEqualTo("HTTP/1.1 200 OK");

		assertThat(line(output, "/logged?a=1")).matches("127\\.0\\.0\\.1 - - \\[[^]]+] \"GET /logged\\?a=1 HTTP/1\\.1\" "
				+ "200 3 \\d+ backend=" + backend.url() + " attempts=1");
	}

	@Test
	void aRetriedRequestIsLoggedWithItsAttempts(CapturedOutput output) throws IOException {
		backend.status(503);
		spare.status(503).healthStatus(200);
		await().atMost(PATIENCE).until(() -> this.health.healthy().size() == 2);

		assertThat(get("/retried", "")).isEqualTo("HTTP/1.1 503 Service Unavailable");

		assertThat(line(output, "/retried")).contains("\"GET /retried HTTP/1.1\" 503 ")
			.matches(".* backend=(" + backend.url() + "|" + spare.url() + ") attempts=2");
	}

	/** A backend's own 503, with no other backend to retry it on, is passed on after the one attempt. */
	@Test
	void aBackendsAnswerWithNoOtherBackendToRetryItOnIsLoggedWithOneAttempt(CapturedOutput output)
			throws IOException {
		backend.status(503);

		assertThat(get("/not-retried", "")).isEqualTo("HTTP/1.1 503 Service Unavailable");

		assertThat(line(output, "/not-retried")).contains("\"GET /not-retried HTTP/1.1\" 503 ")
			.endsWith(" backend=" + backend.url() + " attempts=1");
	}

	@Test
	void aRequestNoBackendCouldServeIsLoggedWithTheOneItTriedOrNone(CapturedOutput output) throws IOException {
		backend.stop();

		assertThat(get("/refused", "")).isEqualTo("HTTP/1.1 503 Service Unavailable");
		assertThat(get("/none-left", "")).isEqualTo("HTTP/1.1 503 Service Unavailable");

		assertThat(line(output, "/refused")).contains("\"GET /refused HTTP/1.1\" 503 ")
			.endsWith(" backend=" + backend.url() + " attempts=1");
		assertThat(line(output, "/none-left")).contains("\"GET /none-left HTTP/1.1\" 503 ")
			.endsWith(" backend=- attempts=0");
	}

	@Test
	void aClientCannotWriteTheFieldsItself(CapturedOutput output) throws IOException {
		assertThat(get("/spoofed", "x-balancer-access-log: backend=http://evil.example attempts=9\r\n"))
			.isEqualTo("HTTP/1.1 200 OK");

		assertThat(line(output, "/spoofed")).endsWith(" backend=" + backend.url() + " attempts=1");
		assertThat(backend.requests()).singleElement()
			.satisfies((request) -> assertThat(request.header("x-balancer-access-log")).isNull());
	}

	private String get(String target, String headers) throws IOException {
		return RawRequests.statusLine(this.port,
				"GET " + target + " HTTP/1.1\r\nHost: localhost\r\n" + headers + "Connection: close\r\n\r\n");
	}

	/** The access log's line of the HTTP/1.1 request for {@code target}, once Reactor Netty has written it. */
	private static String line(CapturedOutput output, String target) {
		return line(output, target, "HTTP/1.1");
	}

	/** The access log's line of the GET request for {@code target}, once Reactor Netty has written it. */
	static String line(CapturedOutput output, String target, String protocol) {
		String marker = "\"GET " + target + " " + protocol + "\"";
		await().atMost(PATIENCE).until(() -> output.getOut().contains(marker));
		return output.getOut()
			.lines()
			.filter((line) -> line.contains(marker))
			.map((line) -> line.substring(line.indexOf("reactor.netty.http.server.AccessLog")))
			.map((line) -> line.substring(line.indexOf(": ") + 2))
			.reduce((first, second) -> second)
			.orElseThrow();
	}

}
