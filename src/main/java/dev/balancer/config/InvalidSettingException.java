package dev.balancer.config;

import org.jspecify.annotations.Nullable;

import org.springframework.boot.context.properties.source.ConfigurationProperty;
import org.springframework.boot.context.properties.source.ConfigurationPropertyName;
import org.springframework.boot.context.properties.source.ConfigurationPropertySource;
import org.springframework.boot.context.properties.source.ConfigurationPropertySources;
import org.springframework.core.env.Environment;

/**
 * A setting that cannot work, found by a check before the server starts ({@link TlsSettingsCheck},
 * {@link ManagementPortCheck}); reported as invalid configuration by {@link InvalidSettingFailureAnalyzer}.
 */
class InvalidSettingException extends RuntimeException {

	private final String property;

	private final transient @Nullable ConfigurationProperty bound;

	private final String reason;

	InvalidSettingException(String property, @Nullable ConfigurationProperty bound, String reason) {
		super(property + " " + reason);
		this.property = property;
		this.bound = bound;
		this.reason = reason;
	}

	/** The setting {@code property} is wrong for {@code reason}; where it was set is looked up in the environment. */
	static InvalidSettingException of(Environment environment, String property, String reason) {
		return new InvalidSettingException(property, find(environment, property), reason);
	}

	/** The property as the source that wins sets it, or {@code null} where none does. */
	static @Nullable ConfigurationProperty find(Environment environment, String property) {
		ConfigurationPropertyName name = ConfigurationPropertyName.of(property);
		ConfigurationPropertyName list = name.isLastElementIndexed() ? name.chop(name.getNumberOfElements() - 1)
				: null;
		for (ConfigurationPropertySource source : ConfigurationPropertySources.get(environment)) {
			ConfigurationProperty found = source.getConfigurationProperty(name);
			if (found == null && list != null) {
				found = source.getConfigurationProperty(list); // a list written as one comma-separated value
			}
			if (found != null) {
				return found;
			}
		}
		return null;
	}

	String property() {
		return this.property;
	}

	@Nullable ConfigurationProperty bound() {
		return this.bound;
	}

	String reason() {
		return this.reason;
	}

}
