package dev.balancer.config;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import org.springframework.mock.env.MockEnvironment;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatNoException;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

/** The actuator on the port clients use stops start-up, naming the property; any other port passes. */
class ManagementPortCheckTests {

	@Test
	void theActuatorOnThePortClientsUseStopsStartup() {
		MockEnvironment environment = new MockEnvironment().withProperty("server.port", "18080")
			.withProperty("management.server.port", "18080");

		InvalidSettingException failure = catchThrowableOfType(InvalidSettingException.class,
				() -> new ManagementPortCheck(environment).customize(null));

		assertThat(failure.property()).isEqualTo("management.server.port");
		assertThat(failure.reason()).startsWith("must differ from server.port (18080): ");
		assertThat(new InvalidSettingFailureAnalyzer().analyze(failure).getDescription())
			.contains("Property: management.server.port")
			.contains("Value: \"18080\"");
	}

	@Test
	void theDefaultPortOfClientsCountsToo() {
		MockEnvironment environment = new MockEnvironment().withProperty("management.server.port", "8080");

		InvalidSettingException failure = catchThrowableOfType(InvalidSettingException.class,
				() -> new ManagementPortCheck(environment).customize(null));

		assertThat(failure.reason()).startsWith("must differ from server.port (8080): ");
	}

	@ParameterizedTest
	@CsvSource({ "8080, 9901", "0, 0", "8080, -1", "18080, 8080" })
	void aPortOfItsOwnOrNonePasses(String serverPort, String managementPort) {
		MockEnvironment environment = new MockEnvironment().withProperty("server.port", serverPort)
			.withProperty("management.server.port", managementPort);

		assertThatNoException().isThrownBy(() -> new ManagementPortCheck(environment).customize(null));
	}

}
