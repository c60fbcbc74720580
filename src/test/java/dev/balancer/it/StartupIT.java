package dev.balancer.it;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;

import io.netty.channel.uring.IoUring;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import dev.balancer.support.BalancerProcess;
import dev.balancer.support.FreePorts;
import dev.balancer.support.TestBackend;

import static org.assertj.core.api.Assertions.as;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.InstanceOfAssertFactories.STRING;
import static org.awaitility.Awaitility.await;

/** The packaged jar, started as users start it: configuration from the command line or a file, clear failures. */
class StartupIT {

	static final TestBackend backend = TestBackend.start("one");

	static final Duration STARTUP = Duration.ofSeconds(60);

	static final String ACCESS_LOG = "reactor.netty.http.server.AccessLog";

	@AfterAll
	static void stopBackend() {
		backend.stop();
	}

	@Test
	void startsFromCommandLineConfigurationAndLogsLikeTheSeed() throws Exception {
		try (BalancerProcess balancer = BalancerProcess.startInFrontOf(backend.url(), List.of(),
				"--balancer.health-check.interval=1s")) {
			int port = balancer.awaitStarted(STARTUP);

			assertThat(balancer.output()).contains("Configured backend: " + backend.url())
				.contains("Load balancer started at :" + port);
			assertThat(get(port, "/hello")).isEqualTo("one");
			assertThat(balancer.output()).as("no access log by default").doesNotContain(ACCESS_LOG);
		}
	}

	@Test
	void aMisspeltSettingIsWarnedOfWithTheOneItMeant() throws Exception {
		try (BalancerProcess balancer = BalancerProcess.startInFrontOf(backend.url(), List.of(),
				"--server.shutdwn=immediate")) {
			int port = balancer.awaitStarted(STARTUP);

			assertThat(get(port, "/hello")).isEqualTo("one");
			String warning = "server.shutdwn is not a setting, and is ignored; did you mean server.shutdown?"
					+ " (\"server.shutdwn\" from property source \"commandLineArgs\")";
			await().atMost(Duration.ofSeconds(10)).until(() -> balancer.output().contains(warning));
		}
	}

	/** What README's "Access log" says to do, and the line it shows. */
	@Test
	void reactorNettysAccessLogComesOnWithItsSystemProperty() throws Exception {
		try (BalancerProcess balancer = BalancerProcess.startInFrontOf(backend.url(),
				List.of("-Dreactor.netty.http.server.accessLogEnabled=true"), "--balancer.health-check.interval=1s")) {
			int port = balancer.awaitStarted(STARTUP);

			assertThat(get(port, "/hello?to=access-log")).isEqualTo("one");

			// The line is written once the response has been sent.
			await().atMost(Duration.ofSeconds(5)).until(() -> balancer.output().contains("/hello?to=access-log"));
			assertThat(balancer.output().lines().filter((line) -> line.contains("/hello?to=access-log")))
				.singleElement(as(STRING))
				.contains(" INFO ", ACCESS_LOG, "127.0.0.1 - - [", "] \"GET /hello?to=access-log HTTP/1.1\" 200 3 ");
		}
	}

	/**
	 * What README's "Logs as JSON" says: with Spring Boot's structured logging, the balancer's lines, its access log
	 * and its failure lines included, are one JSON object each.
	 */
	@Test
	void logsAsJsonWithSpringBootsStructuredLogging() throws Exception {
		try (BalancerProcess balancer = BalancerProcess.startInFrontOf(backend.url(), List.of(),
				"--balancer.health-check.interval=1s", "--balancer.access-log.enabled=true",
				"--logging.structured.format.console=ecs")) {
			int port = balancer.awaitStarted(STARTUP);

			assertThat(get(port, "/hello?to=json")).isEqualTo("one");

			await().atMost(Duration.ofSeconds(5)).until(() -> balancer.output().contains("/hello?to=json"));
			List<JsonNode> lines = balancer.output()
				.lines()
				.filter((line) -> line.startsWith("{"))
				.map((line) -> JsonMapper.shared().readTree(line))
				.toList();
			assertThat(lines).extracting((line) -> line.path("message").asString())
				.contains("Configured backend: " + backend.url(), "Load balancer started at :" + port);
			assertThat(lines).filteredOn((line) -> line.path("message").asString().contains("/hello?to=json"))
				.singleElement()
				.satisfies((line) -> {
					assertThat(line.path("log").path("logger").asString()).isEqualTo(ACCESS_LOG);
					assertThat(line.path("message").asString()).contains("\"GET /hello?to=json HTTP/1.1\" 200 3 ")
						.contains("backend=" + backend.url() + " attempts=1");
				});
			assertThat(balancer.output().lines().filter((line) -> !line.isBlank() && !line.startsWith("{")))
				.as("lines that are not JSON").isEmpty();
		}
	}

	@Test
	void readsConfigApplicationYmlFromTheWorkingDirectory() throws Exception {
		Path workDir = BalancerProcess.workDir();
		Files.createDirectories(workDir.resolve("config"));
		Files.writeString(workDir.resolve("config/application.yml"), """
				server.port: 0
				management.server.port: 0
				balancer:
				  backends:
				    - url: %s
				  health-check:
				    path: /health
				""".formatted(backend.url()));

		try (BalancerProcess balancer = BalancerProcess.start(workDir, List.of(), List.of())) {
			int port = balancer.awaitStarted(STARTUP);

			assertThat(get(port, "/from-file")).isEqualTo("one");
		}
	}

	/**
	 * A file named by {@code spring.config.location} replaces Spring Boot's default locations, the jar's own
	 * {@code application.yml} among them: the built-in defaults (actuator exposure, health details and probes, no
	 * banner, the management port's own check) went with it.
	 */
	@Test
	void aFileNamedBySpringConfigLocationKeepsTheBuiltInDefaults() throws Exception {
		Path file = BalancerProcess.workDir().resolve("balancer.yml");
		int managementPort = FreePorts.next();
		Files.writeString(file, """
				server.port: 0
				management.server.port: %d
				balancer:
				  backends:
				    - url: %s
				  health-check:
				    path: %s
				""".formatted(managementPort, backend.url(), TestBackend.HEALTH_PATH));

		try (BalancerProcess balancer = BalancerProcess.start(List.of(),
				List.of("--spring.config.location=file:" + file))) {
			int port = balancer.awaitStarted(STARTUP);

			assertThat(get(port, "/from-located-file")).isEqualTo("one");
			assertThat(get(managementPort, "/actuator/health/readiness")).contains("\"UP\"");
			assertThat(get(managementPort, "/actuator/health")).contains("\"healthy\":\"1/1\"", backend.url());
			assertThat(get(managementPort, "/actuator/prometheus")).contains("balancer_backend_up");
			assertThat(balancer.output()).doesNotContain(":: Spring Boot ::");
		}
	}

	@ParameterizedTest
	@CsvSource(delimiter = '|', textBlock = """
			--balancer.health-check.interval=1s                                                      | balancer.backends
			--balancer.backends[0].url=ftp://files.example                                           | balancer.backends[0].url
			--balancer.backends[0].url=http://127.0.0.1:1,--balancer.backends[1].url=http://127.0.0.1:1 | balancer.backends[1].url
			--balancer.backends[0].url=http://127.0.0.1:1,--balancer.retry.attempts=0                | balancer.retry.attempts
			--balancer.backends[0].url=http://127.0.0.1:1,--balancer.health-check.interval=0s        | balancer.health-check.interval
			--balancer.backends[0].url=http://127.0.0.1:1,--balancer.health-check.interval=5         | balancer.health-check.interval
			--balancer.backends[0].url=http://127.0.0.1:1,--server.ssl.certificate=file:/nonexistent/tls.crt,--server.ssl.certificate-private-key=file:/nonexistent/tls.key | server.ssl.certificate
			--balancer.backends[0].url=http://127.0.0.1:1,--management.server.port=8080               | management.server.port
			--balancer.backends[0].url=http://127.0.0.1:1,--server.max-http-request-header-size=0     | server.max-http-request-header-size
			--balancer.backends[0].url=http://127.0.0.1:1,--spring.cloud.gateway.server.webflux.httpclient.max-header-size=-1 | spring.cloud.gateway.server.webflux.httpclient.max-header-size
			""")
	void invalidConfigurationStopsStartupNamingTheProperty(String arguments, String property) {
		try (BalancerProcess balancer = BalancerProcess.start(List.of(), List.of(arguments.split(",")))) {
			int exitCode = balancer.awaitExit(STARTUP);

			assertThat(exitCode).isNotZero();
			assertThat(balancer.output()).contains("APPLICATION FAILED TO START")
				.contains(property)
				.doesNotContain("Load balancer started");
		}
	}

	/** Spring Boot said only "Port ... was already in use", after the line that says the balancer started. */
	@Test
	void aPortInUseStopsStartupNamingItsSetting() throws IOException {
		try (ServerSocket busy = new ServerSocket(0)) {
			int port = busy.getLocalPort();
			try (BalancerProcess balancer = BalancerProcess.start(List.of(),
					List.of("--server.port=0", "--management.server.port=" + port,
							"--balancer.backends[0].url=" + backend.url(),
							"--balancer.health-check.path=" + TestBackend.HEALTH_PATH))) {
				int exitCode = balancer.awaitExit(STARTUP);

				assertThat(exitCode).isNotZero();
				assertThat(balancer.output()).contains("APPLICATION FAILED TO START")
					.contains("Property: management.server.port\n    Value: \"" + port + "\"")
					.contains("Reason: port " + port + " is in use by another process")
					.contains("Stop the process listening on port " + port + ", or set management.server.port");
			}
		}
	}

	@Test
	void aValueOfTheWrongKindStopsStartupSayingWhatTheSettingTakes() {
		try (BalancerProcess balancer = BalancerProcess.start(List.of(),
				List.of("--balancer.backends[0].url=http://127.0.0.1:1", "--balancer.timeouts.connect=1 second"))) {
			int exitCode = balancer.awaitExit(STARTUP);

			assertThat(exitCode).isNotZero();
			assertThat(balancer.output()).contains("APPLICATION FAILED TO START")
				.contains("Property: balancer.timeouts.connect\n    Value: \"1 second\"")
				.contains("Reason: must be a duration such as 500ms, 2s or 1m")
				.doesNotContain("java.time.Duration");
		}
	}

	@ParameterizedTest
	@CsvSource({ "auto, ", "io-uring, io_uring", "epoll, epoll", "nio, nio" })
	void servesOnTheNetworkTransportItIsGiven(String transport, String expected) throws Exception {
		// auto is Reactor Netty's choice: io_uring where the kernel offers it, else epoll
		String inUse = (expected != null) ? expected : (IoUring.isAvailable() ? "io_uring" : "epoll");
		Assumptions.assumeTrue(!inUse.equals("io_uring") || IoUring.isAvailable(), "io_uring is not available here");
		try (BalancerProcess balancer = BalancerProcess.startInFrontOf(backend.url(), List.of(),
				"--balancer.transport=" + transport)) {
			int port = balancer.awaitStarted(STARTUP);

			// Reactor Netty's default on io_uring, one per CPU on epoll and NIO
			int cpus = Runtime.getRuntime().availableProcessors();
			int loops = inUse.equals("io_uring") ? Math.max(cpus, 4) : cpus;
			assertThat(balancer.output())
				.contains("Network transport: " + inUse + ", " + loops + " event loops serving clients");
			assertThat(get(port, "/" + transport)).isEqualTo("one");
		}
	}

	@ParameterizedTest
	@ValueSource(strings = { "io-uring", "epoll" })
	void aTransportTheMachineCannotRunStopsStartupSayingWhy(String transport) {
		try (BalancerProcess balancer = BalancerProcess.start(List.of("-Dio.netty.transport.noNative=true"),
				List.of("--balancer.backends[0].url=http://127.0.0.1:1", "--balancer.transport=" + transport))) {
			int exitCode = balancer.awaitExit(STARTUP);

			assertThat(exitCode).isNotZero();
			assertThat(balancer.output()).contains("APPLICATION FAILED TO START")
				.contains("Property: balancer.transport")
				.contains("is not available on this machine")
				.contains("-Dio.netty.transport.noNative=true")
				.contains("use auto")
				.doesNotContain("Load balancer started");
		}
	}

	@Test
	void theJarCarriesTheNativeTransportsForX86AndArm() throws IOException {
		try (JarFile jar = new JarFile(BalancerProcess.jar().toFile())) {
			List<String> libraries = jar.stream()
				.map(JarEntry::getName)
				.filter((name) -> name.startsWith("BOOT-INF/lib/netty-transport-native-"))
				.map((name) -> name.replaceAll("-\\d[^-]*-", "-"))
				.toList();

			assertThat(libraries).contains("BOOT-INF/lib/netty-transport-native-epoll-linux-x86_64.jar",
					"BOOT-INF/lib/netty-transport-native-epoll-linux-aarch_64.jar",
					"BOOT-INF/lib/netty-transport-native-io_uring-linux-x86_64.jar",
					"BOOT-INF/lib/netty-transport-native-io_uring-linux-aarch_64.jar");
		}
	}

	private static String get(int port, String path) throws IOException, InterruptedException {
		HttpResponse<String> response = HttpClient.newHttpClient()
			.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).build(),
					HttpResponse.BodyHandlers.ofString());
		assertThat(response.statusCode()).isEqualTo(200);
		return response.body();
	}

}
