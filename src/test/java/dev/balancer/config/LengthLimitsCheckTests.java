package dev.balancer.config;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.FieldSource;

import org.springframework.boot.web.server.ConfigurableWebServerFactory;
import org.springframework.mock.env.MockEnvironment;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;
import static org.assertj.core.api.Assertions.assertThatNoException;
import static org.mockito.Mockito.mock;

/**
 * A limit on the length of heads that is not positive stops start-up naming the property, where Reactor Netty's
 * refusal came with a stack trace and no name; a positive one, or one not set, passes.
 */
class LengthLimitsCheckTests {

	@ParameterizedTest
	@FieldSource("dev.balancer.config.LengthLimitsCheck#LIMITS")
	void aLimitThatIsNotPositiveStopsStartupNamingTheProperty(String property) {
		for (String value : new String[] { "0", "-1", "-8KB" }) {
			assertThatExceptionOfType(InvalidSettingException.class)
				.isThrownBy(() -> check(new MockEnvironment().withProperty(property, value)))
				.satisfies((failure) -> {
					assertThat(failure.property()).isEqualTo(property);
					assertThat(failure.reason()).isEqualTo("must be a positive size such as 16KB");
				});
		}
	}

	@ParameterizedTest
	@FieldSource("dev.balancer.config.LengthLimitsCheck#LIMITS")
	void aPositiveLimitOrNoneOrOneThatIsNoSizePasses(String property) {
		assertThatNoException().isThrownBy(() -> check(new MockEnvironment().withProperty(property, "16KB")));
		assertThatNoException().isThrownBy(() -> check(new MockEnvironment()));
		// left to Spring Boot's own report of a value it cannot convert
		assertThatNoException().isThrownBy(() -> check(new MockEnvironment().withProperty(property, "big")));
	}

	private static void check(MockEnvironment environment) {
		new LengthLimitsCheck(environment).customize(mock(ConfigurableWebServerFactory.class));
	}

}
