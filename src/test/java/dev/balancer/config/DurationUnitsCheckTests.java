package dev.balancer.config;

import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.FieldSource;
import org.junit.jupiter.params.provider.ValueSource;

import org.springframework.core.env.Environment;
import org.springframework.core.env.MapPropertySource;
import org.springframework.core.env.StandardEnvironment;
import org.springframework.core.env.SystemEnvironmentPropertySource;
import org.springframework.mock.env.MockEnvironment;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatNoException;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

/** A {@code balancer.*} duration without a unit stops start-up, naming the property; with one, it passes. */
class DurationUnitsCheckTests {

	@Test
	void knowsTheDurationsAmongTheSettings() {
		assertThat(DurationUnitsCheck.DURATIONS).contains("balancer.health-check.interval",
				"balancer.health-check.timeout", "balancer.health-check.jitter", "balancer.timeouts.connect",
				"balancer.timeouts.response", "balancer.timeouts.request", "balancer.timeouts.read",
				"balancer.timeouts.client", "balancer.retry.backoff.base", "balancer.retry.backoff.max",
				"balancer.outlier-detection.base-ejection-time", "balancer.outlier-detection.max-ejection-time",
				"balancer.sticky-session.max-age", "balancer.slow-start.window")
			.doesNotContain("balancer.retry.attempts", "balancer.retry.body-buffer-size", "balancer.max-connections");
	}

	@ParameterizedTest
	@FieldSource("dev.balancer.config.DurationUnitsCheck#DURATIONS")
	void aNumberWithoutAUnitStopsStartupNamingTheProperty(String property) {
		InvalidSettingException failure = failure(new MockEnvironment().withProperty(property, "5"));

		assertThat(failure.property()).isEqualTo(property);
		assertThat(failure.reason())
			.isEqualTo("needs a unit: 5 alone would be 5 milliseconds; write 5s for seconds or 5ms");
	}

	@Test
	void aNumberFromYamlIsCaughtToo() {
		StandardEnvironment environment = new StandardEnvironment();
		environment.getPropertySources()
			.addFirst(new MapPropertySource("config/application.yml", Map.of("balancer.timeouts.response", 30)));

		InvalidSettingException failure = failure(environment);

		assertThat(failure.property()).isEqualTo("balancer.timeouts.response");
		assertThat(new InvalidSettingFailureAnalyzer().analyze(failure).getDescription())
			.contains("Property: balancer.timeouts.response\n    Value: \"30\"\n")
			.contains("Reason: needs a unit: 30 alone would be 30 milliseconds; write 30s for seconds or 30ms");
	}

	@Test
	void anEnvironmentVariableIsCaughtUnderTheSettingsName() {
		StandardEnvironment environment = new StandardEnvironment();
		environment.getPropertySources()
			.addFirst(new SystemEnvironmentPropertySource(StandardEnvironment.SYSTEM_ENVIRONMENT_PROPERTY_SOURCE_NAME,
					Map.of("BALANCER_HEALTHCHECK_INTERVAL", "20")));

		InvalidSettingException failure = failure(environment);

		assertThat(failure.property()).isEqualTo("balancer.health-check.interval");
		assertThat(failure.bound()).isNotNull();
		assertThat(String.valueOf(failure.bound().getOrigin())).contains("BALANCER_HEALTHCHECK_INTERVAL");
	}

	@ParameterizedTest
	@ValueSource(strings = { "5s", "500ms", "1m", "2h", "1d", "PT5S", "0", "00", " 5s " })
	void aDurationWithAUnitOrZeroPasses(String value) {
		MockEnvironment environment = new MockEnvironment().withProperty("balancer.health-check.interval", value);

		assertThatNoException().isThrownBy(() -> new DurationUnitsCheck(environment).customize(null));
	}

	@Test
	void numbersElsewhereAreNoDurations() {
		MockEnvironment environment = new MockEnvironment().withProperty("balancer.retry.attempts", "5")
			.withProperty("balancer.max-connections", "100")
			.withProperty("server.port", "8080");

		assertThatNoException().isThrownBy(() -> new DurationUnitsCheck(environment).customize(null));
	}

	private static InvalidSettingException failure(Environment environment) {
		InvalidSettingException failure = catchThrowableOfType(InvalidSettingException.class,
				() -> new DurationUnitsCheck(environment).customize(null));
		assertThat(failure).as("the check's failure").isNotNull();
		return failure;
	}

}
