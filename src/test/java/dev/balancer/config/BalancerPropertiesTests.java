package dev.balancer.config;

import java.io.IOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import io.netty.channel.uring.IoUring;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.boot.context.properties.bind.BindException;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.context.properties.bind.validation.BindValidationException;
import org.springframework.boot.context.properties.source.MapConfigurationPropertySource;
import org.springframework.boot.diagnostics.FailureAnalysis;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.boot.validation.autoconfigure.ValidationAutoConfiguration;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.convert.ConversionFailedException;
import org.springframework.core.convert.TypeDescriptor;
import org.springframework.core.env.StandardEnvironment;
import org.springframework.core.env.SystemEnvironmentPropertySource;
import org.springframework.core.io.ClassPathResource;
import org.springframework.util.unit.DataSize;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;

/** Binding and validation of {@code balancer.*}, and the report that names what is wrong. */
class BalancerPropertiesTests {

	final ApplicationContextRunner runner = new ApplicationContextRunner()
		.withConfiguration(AutoConfigurations.of(ValidationAutoConfiguration.class))
		.withUserConfiguration(Properties.class);

	@Test
	void defaultsAreTheSeeds() {
		this.runner.withPropertyValues("balancer.backends[0].url=http://localhost:8081").run((context) -> {
			BalancerProperties properties = context.getBean(BalancerProperties.class);
			assertThat(properties.backends()).containsExactly(
					new BalancerProperties.Backend(URI.create("http://localhost:8081"), 1));
			assertThat(properties.healthCheck()).isEqualTo(new BalancerProperties.HealthCheck(Duration.ofSeconds(20),
					Duration.ofSeconds(2), "/", "100-499", null, null, 1, 1));
			assertThat(properties.healthCheck().effectiveJitter()).isEqualTo(Duration.ofSeconds(2));
			assertThat(properties.maxConnections()).isEqualTo(10_000);
			assertThat(properties.retry()).isEqualTo(new BalancerProperties.Retry(3, DataSize.ofKilobytes(256),
					null, new BalancerProperties.Budget(20, 3),
					new BalancerProperties.Backoff(Duration.ofMillis(25), Duration.ofMillis(250))));
			assertThat(properties.timeouts()).isEqualTo(new BalancerProperties.Timeouts(Duration.ofSeconds(1),
					Duration.ofSeconds(30), Duration.ofSeconds(60), Duration.ofSeconds(60), Duration.ofSeconds(60)));
			assertThat(properties.outlierDetection()).isEqualTo(new BalancerProperties.OutlierDetection(true, 5,
					Duration.ofSeconds(30), Duration.ofMinutes(5), 50));
			assertThat(properties.panic())
				.isEqualTo(new BalancerProperties.Panic(50, BalancerProperties.PanicMode.HEALTHY_ONLY));
			assertThat(properties.debugHeaders()).isFalse();
			assertThat(properties.accessLog().enabled()).isFalse();
			assertThat(properties.trustedProxies()).isEmpty();
			assertThat(properties.strategy()).isEqualTo(BalancerProperties.Strategy.ROUND_ROBIN);
			assertThat(properties.consistentHash().key()).isEqualTo("client-ip");
			assertThat(properties.stickySession()).isEqualTo(
					new BalancerProperties.StickySession(false, "BALANCER", null, BalancerProperties.SameSite.LAX));
			assertThat(properties.slowStart().window()).isNull();
			assertThat(properties.transport()).isEqualTo(BalancerProperties.Transport.AUTO);
		});
	}

	@ParameterizedTest
	@CsvSource({ "auto, AUTO", "epoll, EPOLL", "nio, NIO" })
	void bindsTheTransportsThisMachineRuns(String value, BalancerProperties.Transport transport) {
		this.runner.withPropertyValues("balancer.backends[0].url=http://x:1", "balancer.transport=" + value)
			.run((context) -> assertThat(context.getBean(BalancerProperties.class).transport()).isEqualTo(transport));
	}

	@Test
	void bindsIoUringWhereTheKernelOffersIt() {
		Assumptions.assumeTrue(IoUring.isAvailable(), "io_uring is not available here");
		this.runner.withPropertyValues("balancer.backends[0].url=http://x:1", "balancer.transport=io-uring")
			.run((context) -> assertThat(context.getBean(BalancerProperties.class).transport())
				.isEqualTo(BalancerProperties.Transport.IO_URING));
	}

	@Test
	void anUnknownTransportFailsNamingTheProperty() {
		this.runner.withPropertyValues("balancer.backends[0].url=http://x:1", "balancer.transport=kqueue")
			.run((context) -> {
				assertThat(context).hasFailed();
				assertThat(context.getStartupFailure())
					.hasStackTraceContaining("Failed to bind properties under 'balancer.transport'");
			});
	}

	@Test
	void bindsStrategiesAndAffinityKeys() {
		this.runner
			.withPropertyValues("balancer.backends[0].url=http://x:1", "balancer.strategy=power-of-two-choices",
					"balancer.consistent-hash.key=header:X-User-Id", "balancer.sticky-session.enabled=true",
					"balancer.sticky-session.cookie-name=route", "balancer.sticky-session.max-age=1h",
					"balancer.sticky-session.same-site=strict", "balancer.slow-start.window=30s")
			.run((context) -> {
				BalancerProperties properties = context.getBean(BalancerProperties.class);
				assertThat(properties.strategy()).isEqualTo(BalancerProperties.Strategy.POWER_OF_TWO_CHOICES);
				assertThat(properties.consistentHash().key()).isEqualTo("header:X-User-Id");
				assertThat(properties.stickySession()).isEqualTo(new BalancerProperties.StickySession(true, "route",
						Duration.ofHours(1), BalancerProperties.SameSite.STRICT));
				assertThat(properties.slowStart().window()).isEqualTo(Duration.ofSeconds(30));
			});
	}

	@Test
	void anUnknownStrategyFailsNamingTheProperty() {
		this.runner.withPropertyValues("balancer.backends[0].url=http://x:1", "balancer.strategy=fastest")
			.run((context) -> {
				assertThat(context).hasFailed();
				assertThat(context.getStartupFailure()).hasStackTraceContaining("Failed to bind properties under 'balancer.strategy'");
			});
	}

	@Test
	void bindsEveryKey() {
		this.runner
			.withPropertyValues("balancer.backends[0].url=https://10.0.0.5", "balancer.backends[0].weight=5",
					"balancer.backends[1].url=http://10.0.0.6:8080/", "balancer.health-check.interval=1s",
					"balancer.health-check.timeout=250ms", "balancer.health-check.path=/healthz/ready?probe=lb&x=%2F",
					"balancer.retry.attempts=5", "balancer.retry.body-buffer-size=1MB", "balancer.retry.body-buffer-total=64MB",
					"balancer.trusted-proxies[0]=10.0.0.0/8", "balancer.health-check.expected-statuses=200-299,301",
					"balancer.health-check.host=api.example:8080", "balancer.health-check.jitter=0s",
					"balancer.health-check.healthy-threshold=2", "balancer.health-check.unhealthy-threshold=3",
					"balancer.retry.budget.percent=10", "balancer.retry.budget.min-retries-per-second=0",
					"balancer.retry.backoff.base=0ms", "balancer.timeouts.connect=250ms",
					"balancer.timeouts.response=5s", "balancer.timeouts.request=8s", "balancer.timeouts.read=9s",
					"balancer.timeouts.client=7s",
					"balancer.outlier-detection.enabled=false", "balancer.panic.mode=all",
					"balancer.panic.threshold=30", "balancer.debug-headers=true", "balancer.access-log.enabled=true",
					"balancer.max-connections=500")
			.run((context) -> {
				BalancerProperties properties = context.getBean(BalancerProperties.class);
				assertThat(properties.backends()).extracting(BalancerProperties.Backend::weight).containsExactly(5, 1);
				assertThat(properties.healthCheck()).isEqualTo(new BalancerProperties.HealthCheck(Duration.ofSeconds(1),
						Duration.ofMillis(250), "/healthz/ready?probe=lb&x=%2F", "200-299,301", "api.example:8080", Duration.ZERO, 2, 3));
				assertThat(properties.retry()).isEqualTo(new BalancerProperties.Retry(5, DataSize.ofMegabytes(1),
						DataSize.ofMegabytes(64), new BalancerProperties.Budget(10, 0),
						new BalancerProperties.Backoff(Duration.ZERO, Duration.ofMillis(250))));
				assertThat(properties.timeouts()).isEqualTo(new BalancerProperties.Timeouts(Duration.ofMillis(250),
						Duration.ofSeconds(5), Duration.ofSeconds(8), Duration.ofSeconds(9), Duration.ofSeconds(7)));
				assertThat(properties.outlierDetection().enabled()).isFalse();
				assertThat(properties.panic()).isEqualTo(new BalancerProperties.Panic(30, BalancerProperties.PanicMode.ALL));
				assertThat(properties.debugHeaders()).isTrue();
				assertThat(properties.accessLog().enabled()).isTrue();
				assertThat(properties.maxConnections()).isEqualTo(500);
				assertThat(properties.trustedProxies()).containsExactly("10.0.0.0/8");
			});
	}

	@ParameterizedTest(name = "{0}")
	@CsvSource(delimiter = '|', textBlock = """
			balancer.health-check.path=/                                            | balancer.backends
			balancer.backends[0].url=ftp://files.example                            | balancer.backends[0].url
			balancer.backends[0].url=localhost:8081                                 | balancer.backends[0].url
			balancer.backends[0].url=http://host:1/api                              | balancer.backends[0].url
			balancer.backends[0].url=http://host:1?q=1                              | balancer.backends[0].url
			balancer.backends[0].url=http://user@host:1                             | balancer.backends[0].url
			balancer.backends[0].url=http://host:99999                              | balancer.backends[0].url
			balancer.backends[0].url=http://host:0                                  | balancer.backends[0].url
			balancer.backends[0].url=http://x:1,balancer.backends[1].url=HTTP://X:1/ | balancer.backends[1].url
			balancer.backends[0].url=http://x:1,balancer.backends[0].weight=0       | balancer.backends[0].weight
			balancer.backends[0].url=http://x:1,balancer.retry.attempts=0           | balancer.retry.attempts
			balancer.backends[0].url=http://x:1,balancer.health-check.interval=0s   | balancer.health-check.interval
			balancer.backends[0].url=http://x:1,balancer.health-check.interval=-1s  | balancer.health-check.interval
			balancer.backends[0].url=http://x:1,balancer.health-check.timeout=0     | balancer.health-check.timeout
			balancer.backends[0].url=http://x:1,balancer.health-check.path=health   | balancer.health-check.path
			balancer.backends[0].url=http://x:1,balancer.health-check.path=/health check | balancer.health-check.path
			balancer.backends[0].url=http://x:1,balancer.health-check.path=/health?q=é | balancer.health-check.path
			balancer.backends[0].url=http://x:1,balancer.health-check.path=/50%off   | balancer.health-check.path
			balancer.backends[0].url=http://x:1,balancer.trusted-proxies[0]=proxy.example | balancer.trusted-proxies[0]
			balancer.backends[0].url=http://x:1,balancer.backends[0].weight=257     | balancer.backends[0].weight
			balancer.backends[0].url=http://x:1,balancer.consistent-hash.key=ip     | balancer.consistent-hash.key
			balancer.backends[0].url=http://x:1,balancer.consistent-hash.key=header: | balancer.consistent-hash.key
			balancer.backends[0].url=http://x:1,balancer.sticky-session.cookie-name=a b | balancer.sticky-session.cookie-name
			balancer.backends[0].url=http://x:1,balancer.sticky-session.max-age=0s  | balancer.sticky-session.max-age
			balancer.backends[0].url=http://x:1,balancer.slow-start.window=0s       | balancer.slow-start.window
			balancer.backends[0].url=http://x:1,balancer.health-check.expected-statuses=200-600 | balancer.health-check.expected-statuses
			balancer.backends[0].url=http://x:1,balancer.health-check.expected-statuses=299-200 | balancer.health-check.expected-statuses
			balancer.backends[0].url=http://x:1,balancer.health-check.host=a b      | balancer.health-check.host
			balancer.backends[0].url=http://x:1,balancer.health-check.healthy-threshold=0 | balancer.health-check.healthy-threshold
			balancer.backends[0].url=http://x:1,balancer.retry.budget.percent=101   | balancer.retry.budget.percent
			balancer.backends[0].url=http://x:1,balancer.timeouts.response=0s       | balancer.timeouts.response
			balancer.backends[0].url=http://x:1,balancer.timeouts.read=0s           | balancer.timeouts.read
			balancer.backends[0].url=http://x:1,balancer.timeouts.client=0s         | balancer.timeouts.client
			balancer.backends[0].url=http://x:1,balancer.outlier-detection.consecutive-errors=0 | balancer.outlier-detection.consecutive-errors
			balancer.backends[0].url=http://x:1,balancer.panic.threshold=-1         | balancer.panic.threshold
			balancer.backends[0].url=http://x:1,balancer.max-connections=0          | balancer.max-connections
			""")
	void invalidConfigurationFailsNamingTheProperty(String properties, String property) {
		this.runner.withPropertyValues(properties.split(",")).run((context) -> {
			assertThat(context).hasFailed();
			BindValidationException cause = findCause(context.getStartupFailure());
			FailureAnalysis analysis = new InvalidConfigurationFailureAnalyzer().analyze(context.getStartupFailure());
			assertThat(analysis).isNotNull();
			assertThat(analysis.getDescription()).contains("Property: " + property + "\n");
			assertThat(cause.getValidationErrors().getAllErrors()).hasSize(1);
		});
	}

	@Test
	void aBackendPortOutOfRangeIsNamedAsTheReason() {
		this.runner.withPropertyValues("balancer.backends[0].url=http://x:65536").run((context) -> {
			assertThat(new InvalidConfigurationFailureAnalyzer().analyze(context.getStartupFailure()).getDescription())
				.contains("Reason: must have a port from 1 to 65535, like http://10.0.0.5:8081");
		});
		this.runner.withPropertyValues("balancer.backends[0].url=http://x:65535").run((context) -> {
			assertThat(context).hasNotFailed();
		});
	}

	@Test
	void reportsTheValueAsWrittenAndWhereItCameFrom() {
		this.runner.withPropertyValues("balancer.backends[0].url=http://x:1", "balancer.health-check.interval=0s")
			.run((context) -> {
				String description = new InvalidConfigurationFailureAnalyzer().analyze(context.getStartupFailure())
					.getDescription();
				assertThat(description).contains("Value: \"0s\"")
					.contains("Origin: ")
					.contains("Reason: must be a positive duration");
			});
	}

	@Test
	void aMisspeltKeyFailsNamingItAndTheSettingItMeant() {
		this.runner.withPropertyValues("balancer.backends[0].url=http://x:1", "balancer.helth-check.interval=1s",
				"balancer.backends[0].wieght=2", "balancer.worker-threads=10")
			.run((context) -> {
				assertThat(context).hasFailed();
				FailureAnalysis analysis = new UnknownPropertyFailureAnalyzer().analyze(context.getStartupFailure());
				assertThat(analysis).isNotNull();
				assertThat(analysis.getDescription()).startsWith("Unknown configuration:\n")
					.contains("Property: balancer.helth-check.interval\n    Value: \"1s\"\n")
					.contains("Reason: not a balancer setting; did you mean balancer.health-check.interval?\n")
					.contains("Reason: not a balancer setting; did you mean balancer.backends[0].weight?\n")
					.contains("Property: balancer.worker-threads\n")
					.contains("Reason: not a balancer setting\n")
					.contains("Origin: ");
			});
	}

	/**
	 * Spring Boot leaves a setting with an empty value unbound ({@code interval:} in YAML with nothing after it), and
	 * it was reported as no setting, with itself as the one meant.
	 */
	@Test
	void aSettingWithAnEmptyValueIsToldWhatToGiveIt() {
		this.runner.withPropertyValues("balancer.backends[0].url=http://x:1", "balancer.health-check.interval=",
				"balancer.strategy= ")
			.run((context) -> {
				assertThat(context).hasFailed();
				FailureAnalysis analysis = new UnknownPropertyFailureAnalyzer().analyze(context.getStartupFailure());
				assertThat(analysis).isNotNull();
				assertThat(analysis.getDescription()).startsWith("Invalid configuration:\n")
					.contains("Property: balancer.health-check.interval\n    Value: \"\"\n")
					.contains("Reason: has no value: give it a duration such as 500ms, 2s or 1m, or leave the key "
							+ "out\n")
					.contains("Reason: has no value: give it one of round-robin, weighted-round-robin, ")
					.doesNotContain("did you mean");
			});
		this.runner.withPropertyValues("balancer.backends[0].url=", "balancer.backends[0].wieght=2").run((context) -> {
			FailureAnalysis analysis = new UnknownPropertyFailureAnalyzer().analyze(context.getStartupFailure());
			assertThat(analysis).isNotNull();
			assertThat(analysis.getDescription()).startsWith("Unknown configuration:\n")
				.contains("Property: balancer.backends[0].url\n")
				.contains("Reason: has no value: give it one, or leave the key out\n")
				.contains("Reason: not a balancer setting; did you mean balancer.backends[0].weight?\n");
		});
	}

	@Test
	void environmentVariablesLikeKubernetesServiceLinksAreNoUnknownKeys() {
		// Every pod beside a Service named balancer gets these; BALANCER_PORT would bind to balancer.port.
		Map<String, Object> serviceLinks = Map.of("BALANCER_SERVICE_HOST", "10.0.0.1", "BALANCER_PORT",
				"tcp://10.0.0.1:8080", "BALANCER_PORT_8080_TCP_ADDR", "10.0.0.1");
		this.runner.withPropertyValues("balancer.backends[0].url=http://x:1")
			.withInitializer((context) -> context.getEnvironment()
				.getPropertySources()
				.addFirst(new SystemEnvironmentPropertySource(
						StandardEnvironment.SYSTEM_ENVIRONMENT_PROPERTY_SOURCE_NAME, serviceLinks)))
			.run((context) -> assertThat(context).hasNotFailed());
	}

	@Test
	void knowsEveryKeyTheConfigurationMetadataLists() throws IOException {
		JsonNode metadata = JsonMapper.shared()
			.readTree(new ClassPathResource("META-INF/spring-configuration-metadata.json").getInputStream());
		List<String> listed = metadata.get("properties")
			.valueStream()
			.map((property) -> property.get("name").asString())
			.filter((name) -> name.startsWith("balancer.") && !name.equals("balancer.backends"))
			.toList();

		assertThat(listed).hasSizeGreaterThan(30);
		assertThat(SettingNames.keys("balancer", BalancerProperties.class))
			.containsAll(listed)
			.contains("balancer.backends[].url", "balancer.backends[].weight");
	}

	@ParameterizedTest
	@CsvSource(delimiter = '|', textBlock = """
			balancer.timeouts.connect=abc               | must be a duration such as 500ms, 2s or 1m
			balancer.health-check.interval=1.5s         | must be a duration such as 500ms, 2s or 1m
			balancer.retry.body-buffer-size=lots        | must be a size such as 512KB or 1MB
			balancer.max-connections=1e4                | must be a whole number
			balancer.max-connections=99999999999        | must be a whole number from -2147483648 to 2147483647
			balancer.backends[0].weight=heavy           | must be a whole number
			balancer.debug-headers=maybe                | must be true or false
			balancer.strategy=fastest                   | must be one of round-robin, weighted-round-robin, least-connections, power-of-two-choices, random, consistent-hash
			balancer.transport=kqueue                   | must be one of auto, io-uring, epoll, nio
			balancer.panic.mode=some                    | must be one of healthy-only, all
			balancer.sticky-session.same-site=relaxed   | must be one of strict, lax, none
			""")
	void aValueOfTheWrongKindFailsSayingWhatTheSettingTakes(String setting, String reason) {
		String property = setting.substring(0, setting.indexOf('='));
		String value = setting.substring(setting.indexOf('=') + 1);
		this.runner.withPropertyValues("balancer.backends[0].url=http://x:1", setting).run((context) -> {
			assertThat(context).hasFailed();
			FailureAnalysis analysis = new UnreadableValueFailureAnalyzer().analyze(context.getStartupFailure());
			assertThat(analysis).isNotNull();
			assertThat(analysis.getDescription()).isEqualTo("Invalid configuration:\n\n    Property: " + property
					+ "\n    Value: \"" + value + "\"\n    Origin: \"" + property
					+ "\" from property source \"test\"\n    Reason: " + reason + "\n");
			assertThat(analysis.getAction()).contains("config/application.yml");
		});
	}

	/** Spring Boot said only that it found no converter to the group's record. */
	@Test
	void aValueWhereAGroupOfSettingsGoesIsToldTheGroupsSettings() {
		this.runner.withPropertyValues("balancer.backends[0].url=http://x:1", "balancer.sticky-session=true")
			.run((context) -> {
				FailureAnalysis analysis = new UnreadableValueFailureAnalyzer().analyze(context.getStartupFailure());
				assertThat(analysis).isNotNull();
				assertThat(analysis.getDescription()).isEqualTo("Invalid configuration:\n\n"
						+ "    Property: balancer.sticky-session\n    Reason: is a group of settings, not a value of its "
						+ "own: set balancer.sticky-session.enabled, balancer.sticky-session.cookie-name, "
						+ "balancer.sticky-session.max-age, balancer.sticky-session.same-site\n");
			});
		this.runner.withPropertyValues("balancer.backends=http://x:1").run((context) -> {
			FailureAnalysis analysis = new UnreadableValueFailureAnalyzer().analyze(context.getStartupFailure());
			assertThat(analysis).isNotNull();
			assertThat(analysis.getDescription()).startsWith("Invalid configuration:\n\n"
					+ "    Property: balancer.backends\n    Value: \"http://x:1\"\n")
				.contains("    Reason: is a list, each element a group of settings: set balancer.backends[0].url, "
						+ "balancer.backends[0].weight")
				.endsWith(", then [1] and on\n");
		});
	}

	@Test
	void aValueOfAnotherKindIsToldWhyItCannotBeRead() {
		ConversionFailedException failure = new ConversionFailedException(TypeDescriptor.valueOf(String.class),
				TypeDescriptor.valueOf(URI.class), "http://a b",
				new IllegalArgumentException("wrapped", new URISyntaxException("http://a b", "Illegal character")));

		assertThat(UnreadableValueFailureAnalyzer.reason(URI.class, failure))
			.isEqualTo("cannot be read: Illegal character: http://a b");
	}

	@Test
	void leavesValuesOfOtherKindsOfFailureToTheOtherReports() {
		this.runner.withPropertyValues("balancer.backends[0].url=http://x:1", "balancer.timeouts.connect=0s")
			.run((context) -> assertThat(new UnreadableValueFailureAnalyzer().analyze(context.getStartupFailure()))
				.isNull());
		this.runner.withPropertyValues("balancer.backends[0].url=http://x:1", "balancer.timeouts.connekt=1s")
			.run((context) -> assertThat(new UnreadableValueFailureAnalyzer().analyze(context.getStartupFailure()))
				.isNull());
	}

	@Test
	void leavesOtherPropertiesToSpringBootsReport() {
		assertThat(new InvalidConfigurationFailureAnalyzer().analyze(new IllegalStateException("unrelated"))).isNull();
		Binder binder = new Binder(new MapConfigurationPropertySource(Map.of("server.port", "abc")));
		assertThatExceptionOfType(BindException.class).isThrownBy(() -> binder.bind("server.port", Integer.class))
			.satisfies((failure) -> assertThat(new UnreadableValueFailureAnalyzer().analyze(failure)).isNull());
	}

	private static BindValidationException findCause(Throwable failure) {
		for (Throwable cause = failure; cause != null; cause = cause.getCause()) {
			if (cause instanceof BindValidationException validation) {
				return validation;
			}
		}
		throw new AssertionError("No BindValidationException in " + failure);
	}

	@Configuration(proxyBeanMethods = false)
	@EnableConfigurationProperties(BalancerProperties.class)
	static class Properties {

	}
}
