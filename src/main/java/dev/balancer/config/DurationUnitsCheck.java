package dev.balancer.config;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

import org.springframework.boot.context.properties.source.ConfigurationProperty;
import org.springframework.boot.web.server.ConfigurableWebServerFactory;
import org.springframework.boot.web.server.WebServerFactoryCustomizer;
import org.springframework.core.env.Environment;

/**
 * Stops start-up when a {@code balancer.*} duration is a number without a unit, such as
 * {@code health-check.interval: 5}. Spring Boot reads a bare number as milliseconds; an operator who meant seconds,
 * as nginx reads its timeouts, would have every backend probed 200 times a second, or requests timed out after a few
 * milliseconds, without a word. Zero is zero in any unit, and passes.
 */
class DurationUnitsCheck implements WebServerFactoryCustomizer<ConfigurableWebServerFactory> {

	/** Every {@code balancer.*} key whose value is a duration. */
	static final List<String> DURATIONS = SettingNames.settings("balancer", BalancerProperties.class)
		.entrySet()
		.stream()
		.filter((setting) -> setting.getValue() == Duration.class)
		.map(Map.Entry::getKey)
		.toList();

	private static final Pattern BARE_NUMBER = Pattern.compile("\\s*[+-]?0*[1-9]\\d*\\s*");

	private final Environment environment;

	DurationUnitsCheck(Environment environment) {
		this.environment = environment;
	}

	@Override
	public void customize(ConfigurableWebServerFactory factory) {
		for (String property : DURATIONS) {
			ConfigurationProperty bound = InvalidSettingException.find(this.environment, property);
			String value = (bound != null) ? String.valueOf(bound.getValue()) : "";
			if (BARE_NUMBER.matcher(value).matches()) {
				String number = value.trim();
				throw new InvalidSettingException(property, bound, "needs a unit: " + number + " alone would be "
						+ number + " milliseconds; write " + number + "s for seconds or " + number + "ms");
			}
		}
	}

}
