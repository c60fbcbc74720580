package dev.balancer.routing;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.stream.Collectors;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import reactor.core.publisher.Flux;

import dev.balancer.health.BackendHealthRegistry;
import dev.balancer.support.BalancerTestProperties;
import dev.balancer.support.TestBackend;
import dev.balancer.support.TestBackend.RecordedRequest;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.context.SpringBootTest.WebEnvironment;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.boot.webtestclient.autoconfigure.AutoConfigureWebTestClient;
import org.springframework.cloud.client.ServiceInstance;
import org.springframework.http.HttpMethod;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.test.annotation.DirtiesContext;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import org.springframework.test.web.reactive.server.WebTestClient;
import org.springframework.web.reactive.function.client.WebClient;

import static org.assertj.core.api.Assertions.as;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.InstanceOfAssertFactories.STRING;
import static org.awaitility.Awaitility.await;

/**
 * Backends that die, come back or answer 5xx, behind the real gateway: clients of idempotent requests never
 * notice while one backend can serve, and get a short JSON 503 when none can.
 */
@SpringBootTest(webEnvironment = WebEnvironment.RANDOM_PORT,
		properties = { "balancer.health-check.interval=200ms", "balancer.health-check.timeout=500ms",
				"balancer.retry.attempts=3", "balancer.retry.body-buffer-size=1KB",
				// These tests are about which backend a retry goes to, not about how many retries are allowed or
				// about ejecting backends that keep failing (see FaultInjectionIntegrationTests).
				"balancer.retry.budget.min-retries-per-second=1000", "balancer.outlier-detection.enabled=false" })
@AutoConfigureWebTestClient
@DirtiesContext // stops its health checker and frees its ports; no other test class shares this context
@ExtendWith(OutputCaptureExtension.class)
class FailoverIntegrationTests {

	static final TestBackend one = TestBackend.start("one");

	static final TestBackend two = TestBackend.start("two");

	static final TestBackend three = TestBackend.start("three");

	static final List<TestBackend> backends = List.of(one, two, three);

	@DynamicPropertySource
	static void balancer(DynamicPropertyRegistry registry) {
		BalancerTestProperties.register(registry, backends);
	}

	@AfterAll
	static void stopBackends() {
		backends.forEach(TestBackend::stop);
	}

	@Autowired
	WebTestClient client;

	@Autowired
	BackendHealthRegistry health;

	@LocalServerPort
	int port;

	@BeforeEach
	void allBackendsServing() {
		for (TestBackend backend : backends) {
			if (!backend.isRunning()) {
				backend.restart();
			}
			backend.status(200).clear();
		}
		await().atMost(Duration.ofSeconds(5)).until(() -> this.health.healthy().size() == backends.size());
	}

	@AfterEach
	void clearBackends() {
		backends.forEach(TestBackend::clear);
	}

	@Test
	void backendDyingBetweenChecksCostsTheClientNothing() {
		two.stop();

		for (int i = 0; i < 30; i++) {
			assertThat(send(HttpMethod.GET)).isIn("one", "three");
			assertThat(send(HttpMethod.POST)).isIn("one", "three");
		}
		assertThat(state(two)).isEqualTo("DOWN");
		assertThat(this.health.health(instance(two)).lastError()).isEqualTo("connection refused");
	}

	@Test
	void deadBackendLeavesRotationAtTheNextCheckAndReturnsWhenItRecovers() {
		two.stop();
		await().atMost(Duration.ofSeconds(5)).until(() -> state(two).equals("DOWN"));

		assertThat(answers(6)).containsOnly("one", "three");

		two.restart();
		await().atMost(Duration.ofSeconds(5)).until(() -> state(two).equals("UP"));
		assertThat(answers(6)).containsOnly("one", "two", "three").contains("two");
	}

	@Test
	void retriesIdempotentRequestsAnsweredWith503OnAnotherBackend() {
		one.status(503);

		for (int i = 0; i < 9; i++) {
			assertThat(send(HttpMethod.GET)).isIn("two", "three");
		}
		assertThat(one.requestCount()).isGreaterThan(0);
		assertThat(state(one)).as("a 503 from the application is no reason to leave rotation").isEqualTo("UP");
	}

	@Test
	void passesA503ToPostThroughWithoutRetrying() {
		one.status(503);

		List<HttpStatus> statuses = Flux.range(0, 3)
			.concatMap((i) -> webClient().post().uri("/order").retrieve().toBodilessEntity()
				.map((entity) -> HttpStatus.valueOf(entity.getStatusCode().value()))
				.onErrorResume(org.springframework.web.reactive.function.client.WebClientResponseException.class,
						(ex) -> reactor.core.publisher.Mono.just(HttpStatus.valueOf(ex.getStatusCode().value()))))
			.collectList()
			.block(Duration.ofSeconds(10));

		assertThat(statuses).containsExactlyInAnyOrder(HttpStatus.OK, HttpStatus.OK, HttpStatus.SERVICE_UNAVAILABLE);
		assertThat(one.requestCount() + two.requestCount() + three.requestCount()).isEqualTo(3);
	}

	@Test
	void retryNeverRevisitsATriedBackendEvenUnderConcurrency() {
		one.status(503);
		two.status(502);

		List<String> answers = Flux.range(0, 60)
			.flatMap((i) -> webClient().get().uri("/concurrent/" + i).retrieve().bodyToMono(String.class), 16)
			.collectList()
			.block(Duration.ofSeconds(20));

		assertThat(answers).hasSize(60).containsOnly("three");
		assertThat(three.requestCount()).isEqualTo(60);
		for (TestBackend failing : List.of(one, two)) {
			Set<String> paths = failing.requests().stream().map(RecordedRequest::path).collect(Collectors.toSet());
			assertThat(paths).as("each request tries %s at most once", failing.name())
				.hasSize(failing.requestCount());
		}
	}

	@Test
	void replaysASmallPutBodyOnTheNextBackend() {
		one.status(503);
		two.status(503);

		this.client.put()
			.uri("/doc")
			.contentType(MediaType.TEXT_PLAIN)
			.bodyValue("small document")
			.exchange()
			.expectStatus()
			.isOk()
			.expectBody(String.class)
			.isEqualTo("three");

		assertThat(new String(three.requests().get(0).body())).isEqualTo("small document");
	}

	@Test
	void doesNotReplayABodyLargerThanTheBuffer() {
		backends.forEach((backend) -> backend.status(503));

		this.client.put()
			.uri("/doc")
			.contentType(MediaType.APPLICATION_OCTET_STREAM)
			.bodyValue(new byte[4096])
			.exchange()
			.expectStatus()
			.isEqualTo(HttpStatus.SERVICE_UNAVAILABLE)
			.expectHeader()
			.exists("X-Backend");

		assertThat(one.requestCount() + two.requestCount() + three.requestCount()).isEqualTo(1);
	}

	@Test
	void answersAShortJson503WhenNoBackendIsHealthy(CapturedOutput output) {
		backends.forEach(TestBackend::stop);
		await().atMost(Duration.ofSeconds(5)).until(() -> this.health.healthy().isEmpty());

		expect503("/none-healthy", "No healthy backend available");
		// The backends going down were logged; a line per request turned away would flood the log.
		assertThat(output.getAll()).doesNotContain("/none-healthy");
	}

	@Test
	void answersAShortJson503WhenEveryAttemptFailsToConnect(CapturedOutput output) {
		rightAfterARoundOfProbes();
		backends.forEach(TestBackend::stop);

		// Before the next check: every attempt is refused, each backend is tried once.
		expect503("/all-refused", "No backend could serve the request");
		assertThat(output.getAll().lines().filter((line) -> line.contains("/all-refused")))
			.singleElement(as(STRING))
			.contains(" WARN ", "GET /all-refused answered 503: No backend could serve the request",
					"connection refused");
	}

	@Test
	void theLogNamesTheLastBackendTriedWhenNoneIsLeftToTry(CapturedOutput output) {
		one.stop();
		await().atMost(Duration.ofSeconds(5)).until(() -> this.health.healthy().size() == 2);
		rightAfterARoundOfProbes();
		two.stop();
		three.stop();

		// Two healthy backends and three attempts: both are refused, then none is left.
		expect503("/none-left", "No backend could serve the request; last failure: connection refused");
		assertThat(output.getAll().lines().filter((line) -> line.contains("/none-left")))
			.singleElement(as(STRING))
			.contains("GET /none-left answered 503: No backend could serve the request; last failure: "
					+ "connection refused (backend http://127.0.0.1:")
			.containsAnyOf(two.url(), three.url());
	}

	private void expect503(String path, String message) {
		this.client.mutate()
			.responseTimeout(Duration.ofSeconds(3))
			.build()
			.get()
			.uri(path)
			.exchange()
			.expectStatus()
			.isEqualTo(HttpStatus.SERVICE_UNAVAILABLE)
			.expectHeader()
			.contentType(MediaType.APPLICATION_JSON)
			.expectBody()
			.jsonPath("$.length()").isEqualTo(3)
			.jsonPath("$.status").isEqualTo(503)
			.jsonPath("$.error").isEqualTo("Service Unavailable")
			.jsonPath("$.message").value((String text) -> assertThat(text).startsWith(message));
	}

	private String send(HttpMethod method) {
		return this.client.method(method).uri("/work").exchange().expectStatus().isOk().expectBody(String.class)
			.returnResult().getResponseBody();
	}

	private List<String> answers(int count) {
		return Flux.range(0, count).map((i) -> send(HttpMethod.GET)).collectList().block();
	}

	private WebClient webClient() {
		return WebClient.create("http://localhost:" + this.port);
	}

	private String state(TestBackend backend) {
		return this.health.health(instance(backend)).state();
	}

	/**
	 * Returns as soon as a round of probes has ended, so that the next round is an interval away. A test that stops
	 * backends then sends its request before any probe can find them stopped: only the request's attempts do.
	 */
	private void rightAfterARoundOfProbes() {
		ServiceInstance probed = instance(three);
		Instant before = this.health.health(probed).lastCheck();
		await().atMost(Duration.ofSeconds(5))
			.pollInterval(Duration.ofMillis(2))
			.until(() -> !Objects.equals(this.health.health(probed).lastCheck(), before));
	}

	private ServiceInstance instance(TestBackend backend) {
		return this.health.backends().stream().filter((b) -> b.getPort() == backend.port()).findFirst().orElseThrow();
	}

}
