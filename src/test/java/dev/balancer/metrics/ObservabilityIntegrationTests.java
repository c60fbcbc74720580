package dev.balancer.metrics;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.reflect.Field;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.regex.MatchResult;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import dev.balancer.health.ActiveHealthChecker;
import dev.balancer.health.BackendHealthRegistry;
import dev.balancer.support.BalancerTestProperties;
import dev.balancer.support.RawBackend;
import dev.balancer.support.RawRequests;
import dev.balancer.support.Scrapes;
import dev.balancer.support.TestBackend;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.context.SpringBootTest.WebEnvironment;
import org.springframework.boot.test.web.server.LocalManagementPort;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.boot.webtestclient.autoconfigure.AutoConfigureWebTestClient;
import org.springframework.http.HttpStatus;
import org.springframework.test.annotation.DirtiesContext;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import org.springframework.test.web.reactive.server.WebTestClient;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * What an operator sees on the management port: the {@code balancer} health component, the probe groups and
 * the Prometheus scrape, each naming every backend.
 */
@SpringBootTest(webEnvironment = WebEnvironment.RANDOM_PORT, properties = "balancer.health-check.interval=1h")
@AutoConfigureWebTestClient
@DirtiesContext // stops its health checker and frees its ports; no other test class shares this context
class ObservabilityIntegrationTests {

	static final TestBackend up = TestBackend.start("up");

	static final TestBackend failing = TestBackend.start("failing").healthStatus(500).status(503);

	@DynamicPropertySource
	static void balancer(DynamicPropertyRegistry registry) {
		BalancerTestProperties.register(registry, List.of(up, failing));
	}

	@AfterAll
	static void stopBackends() {
		up.stop();
		failing.stop();
	}

	@Autowired
	WebTestClient client;

	@Autowired
	ActiveHealthChecker checker;

	@Autowired
	MeterRegistry meters;

	@LocalManagementPort
	int managementPort;

	@LocalServerPort
	int port;

	@Autowired
	BackendHealthRegistry registry;

	/**
	 * Waits for the round of probes the schedule starts with. The tests change the backends' health and probe
	 * them themselves: a first round still under way could land after that and undo it (seen once: a test's
	 * requests then found "failing" down again).
	 */
	@BeforeEach
	void afterTheFirstScheduledRoundOfProbes() {
		await().atMost(Duration.ofSeconds(10))
			.until(() -> this.registry.backends()
				.stream()
				.allMatch((backend) -> this.registry.health(backend).lastCheck() != null));
	}

	@Test
	void healthListsEveryBackendWithStateLastCheckAndLastError() {
		this.checker.checkAll().block(Duration.ofSeconds(5));

		management().get()
			.uri("/actuator/health")
			.exchange()
			.expectStatus()
			.isOk()
			.expectBody()
			.jsonPath("$.status").isEqualTo("UP")
			.jsonPath("$.components.balancer.status").isEqualTo("UP")
			.jsonPath("$.components.balancer.details.healthy").isEqualTo("1/2")
			.jsonPath(backendDetail(up, "state")).isEqualTo("UP")
			.jsonPath(backendDetail(up, "lastCheck")).isNotEmpty()
			.jsonPath(backendDetail(failing, "state")).isEqualTo("DOWN")
			.jsonPath(backendDetail(failing, "lastError")).isEqualTo("status 500");
	}

	@Test
	void healthIsDownWhenNoBackendIsHealthyButTheProbeGroupsStayUp() {
		up.healthStatus(500);
		try {
			this.checker.checkAll().block(Duration.ofSeconds(5));

			management().get()
				.uri("/actuator/health")
				.exchange()
				.expectStatus()
				.isEqualTo(HttpStatus.SERVICE_UNAVAILABLE)
				.expectBody()
				.jsonPath("$.components.balancer.status").isEqualTo("DOWN");
			// Kubernetes must not restart or unroute every replica because the backends are down: clients
			// should keep getting a clear 503 from the balancer.
			for (String group : List.of("liveness", "readiness")) {
				management().get()
					.uri("/actuator/health/" + group)
					.exchange()
					.expectStatus()
					.isOk()
					.expectBody()
					.jsonPath("$.status").isEqualTo("UP");
			}
		}
		finally {
			up.healthStatus(200);
			this.checker.checkAll().block(Duration.ofSeconds(5));
		}
	}

	@Test
	void prometheusNamesEveryBackendAndCountsRequestsAndRetries() {
		this.checker.checkAll().block(Duration.ofSeconds(5));
		// "failing" is down after the check; while it was up a GET to it would have been retried on "up".
		for (int i = 0; i < 4; i++) {
			this.client.get().uri("/metrics-test").exchange().expectStatus().isOk();
		}

		String scrape = scrape();

		assertThat(scrape).contains("balancer_backend_up{backend=\"" + up.url() + "\"} 1.0")
			.contains("balancer_backend_up{backend=\"" + failing.url() + "\"} 0.0")
			.containsPattern("balancer_backend_requests_total\\{backend=\"" + up.url().replace(".", "\\.")
					+ "\",status=\"200\"} [4-9]\\.0")
			.containsPattern(probes(up, "alive") + "[1-9][0-9]*$")
			.containsPattern(probes(failing, "failed") + "[1-9][0-9]*$")
			.contains("spring_cloud_gateway_requests_seconds_count{")
			.containsPattern("(?m)^balancer_buffer_memory_used_bytes [0-9.E]+$")
			.containsPattern("(?m)^balancer_buffer_memory_max_bytes [0-9.E]+$")
			.containsPattern("(?m)^balancer_buffer_memory_exhausted_total\\{where=\"(receive|request_body|response|connection)\"} ")
			// Each proxied request is timed once: neither the server's nor the gateway client's observation.
			.doesNotContain("http_server_requests_seconds_count")
			.doesNotContain("http_client_requests_seconds_count{");
	}

	/**
	 * A request refused below Spring, here one that is not valid HTTP, reaches no backend and no metric of the
	 * gateway's: the scrape counts it under its reason, beside a series for every other reason.
	 */
	@Test
	void prometheusCountsRequestsRefusedBeforeAnyBackend() throws IOException {
		double before = clientErrors(scrape(), "invalid_request");

		assertThat(RawRequests.statusLine(this.port, "GET /50%off HTTP/1.1\r\nHost: localhost\r\n\r\n"))
			.startsWith("HTTP/1.1 400 ");

		String scrape = scrape();
		assertThat(clientErrors(scrape, "invalid_request")).isEqualTo(before + 1);
		assertThat(scrape).contains("# HELP balancer_client_errors_total Client requests and connections refused or "
				+ "closed before any backend was tried, by what was wrong\n")
			.containsPattern("(?m)^balancer_client_errors_total\\{reason=\"tls_handshake\"} ");
	}

	private String scrape() {
		return Scrapes.prometheus(this.managementPort);
	}

	private static double clientErrors(String scrape, String reason) {
		Matcher line = Pattern.compile("(?m)^balancer_client_errors_total\\{reason=\"" + reason + "\"} (\\S+)$")
			.matcher(scrape);
		assertThat(line.find()).as("a series for " + reason).isTrue();
		return Double.parseDouble(line.group(1));
	}

	/** The start of the scrape's line that counts the backend's probes with the given result. */
	private static String probes(TestBackend backend, String result) {
		return "(?m)^balancer_backend_probes_seconds_count\\{backend=\"" + backend.url().replace(".", "\\.")
				+ "\",result=\"" + result + "\"} ";
	}

	/** The alerting rules shipped to operators read metrics a running balancer exports, under their names. */
	@Test
	void theShippedAlertRulesReadMetricsTheBalancerExports() throws IOException {
		this.client.get().uri("/alerts-test").exchange().expectStatus().isOk();
		String rules = Files.readString(Path.of("config/prometheus/balancer-alerts.yml"));
		String scrape = scrape();

		List<String> read = Pattern.compile("\\bbalancer_\\w+").matcher(rules).results().map(MatchResult::group)
			.distinct()
			.toList();
		assertThat(read).contains("balancer_backend_up", "balancer_backend_requests_total",
				"balancer_backend_response_time_seconds_bucket", "balancer_panic",
				"balancer_retries_budget_exhausted_total", "balancer_buffer_memory_exhausted_total");
		assertThat(read).allSatisfy((metric) -> assertThat(scrape).containsPattern("(?m)^" + metric + "[{ ]"));
	}

	/** The copies of request bodies kept for retries are counted while kept, and given back once answered. */
	@Test
	void theMemoryOfBodiesKeptForRetriesIsGivenBackOnceTheRequestIsOver() {
		this.checker.checkAll().block(Duration.ofSeconds(5)); // "failing" out of rotation: every PUT reaches "up"
		for (int i = 0; i < 3; i++) {
			this.client.put().uri("/kept").bodyValue("x".repeat(10_000)).exchange().expectStatus().isOk();
		}

		await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> assertThat(
				this.meters.get("balancer.retry.body.buffered").gauge().value()).isZero());
		assertThat(up.requests()).filteredOn((request) -> request.path().equals("/kept"))
			.hasSize(3)
			.allSatisfy((request) -> assertThat(request.bodyLength()).isEqualTo(10_000));
	}

	/**
	 * The balancer proxies any method a client makes up; tagged as sent, each made a timer of its own for good,
	 * and a client sending made-up methods grew the balancer's memory and the scrape without bound.
	 */
	@Test
	void madeUpMethodsShareOneTagValueInTheGatewaysRequestMetric() throws IOException {
		for (String method : List.of("FOO1", "FOO2", "BREW")) {
			RawRequests.statusLine(this.port,
					method + " /made-up HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
		}
		this.client.get().uri("/made-up").exchange().expectStatus().isOk();

		await().atMost(Duration.ofSeconds(5)).until(() -> unknownMethodRequests() >= 3);
		assertThat(this.meters.find("spring.cloud.gateway.requests").timers())
			.extracting((timer) -> timer.getId().getTag("httpMethod"))
			.containsOnly("GET", "UNKNOWN");
		assertThat(unknownMethodRequests()).isEqualTo(3);
	}

	private long unknownMethodRequests() {
		Timer unknown = this.meters.find("spring.cloud.gateway.requests").tag("httpMethod", "UNKNOWN").timer();
		return (unknown != null) ? unknown.count() : 0;
	}

	@Test
	void retriesAreCounted() {
		failing.healthStatus(200);
		try {
			this.checker.checkAll().block(Duration.ofSeconds(5));
			for (int i = 0; i < 4; i++) {
				this.client.get().uri("/retried").exchange().expectStatus().isOk();
			}
			assertThat(failing.requestCount()).as("every request to it was answered 503 and retried")
				.isGreaterThan(0);

			management().get()
				.uri("/actuator/prometheus")
				.exchange()
				.expectBody(String.class)
				.value((scrape) -> assertThat(scrape).containsPattern("balancer_retries_total\\{reason=\"status_503\"} [1-9]")
					.contains("# HELP balancer_retries_total Attempts retried on another backend, by what the attempt met\n")
					.contains("balancer_backend_requests_total{backend=\"" + failing.url() + "\",status=\"503\"}"));
		}
		finally {
			failing.healthStatus(500);
			this.checker.checkAll().block(Duration.ofSeconds(5));
		}
	}

	@Test
	void aRequestThatFindsNoBackendLeftIsNotCountedAgainstTheOneThatFailed() {
		this.checker.checkAll().block(Duration.ofSeconds(5));
		up.stop();
		try {
			this.client.get().uri("/nothing-left").exchange().expectStatus().isEqualTo(HttpStatus.SERVICE_UNAVAILABLE);

			assertThat(this.meters.get("balancer.backend.requests").tag("backend", up.url())
				.tag("status", "connect_error").counter().count()).isEqualTo(1);
			assertThat(this.meters.find("balancer.backend.requests").tag("status", "error").counters()).isEmpty();
		}
		finally {
			up.restart();
			this.checker.checkAll().block(Duration.ofSeconds(5));
		}
	}

	@Test
	void oneKeepAliveConnectionKeepsBeingAnswered() throws Exception {
		// Scrapers and probes reuse their connection. Reactor Netty 1.3.6 could stop reading one after a request
		// that came in before the previous one was finished with (BalancerApplication). Its flag is read once, so
		// check the value the server runs with; when an upgrade removes it, the workaround can go.
		Field flag = Class.forName("reactor.netty.http.server.HttpTrafficHandler")
			.getDeclaredField("LAST_FLUSH_WHEN_NO_READ");
		flag.setAccessible(true);
		assertThat(flag.getBoolean(null)).isTrue();

		try (Socket socket = new Socket("127.0.0.1", this.managementPort)) {
			socket.setSoTimeout(5000);
			OutputStream out = socket.getOutputStream();
			InputStream in = new BufferedInputStream(socket.getInputStream());
			for (int i = 0; i < 300; i++) {
				out.write("GET /actuator/health/liveness HTTP/1.1\r\nHost: localhost\r\n\r\n"
					.getBytes(StandardCharsets.US_ASCII));
				out.flush();
				String head = RawBackend.readHead(in);
				assertThat(head).as("response %d", i).startsWith("HTTP/1.1 200 ");
				Matcher length = Pattern.compile("(?i)content-length: *(\\d+)").matcher(head);
				assertThat(length.find()).as("response %d has a Content-Length", i).isTrue();
				assertThat(new String(in.readNBytes(Integer.parseInt(length.group(1))), StandardCharsets.UTF_8))
					.contains("\"UP\"");
			}
		}
	}

	private static String backendDetail(TestBackend backend, String detail) {
		return "$.components.balancer.details.backends['" + backend.url() + "']." + detail;
	}

	private WebTestClient management() {
		return WebTestClient.bindToServer().baseUrl("http://localhost:" + this.managementPort).build();
	}

}
