package dev.balancer.config;

import org.jspecify.annotations.Nullable;

import org.springframework.boot.context.properties.source.ConfigurationProperty;

/**
 * A TLS setting that cannot work, found by {@link TlsSettingsCheck}; reported as invalid configuration by
 * {@link InvalidTlsSettingFailureAnalyzer}.
 */
class InvalidTlsSettingException extends RuntimeException {

	private final String property;

	private final transient @Nullable ConfigurationProperty bound;

	private final String reason;

	InvalidTlsSettingException(String property, @Nullable ConfigurationProperty bound, String reason) {
		super(property + " " + reason);
		this.property = property;
		this.bound = bound;
		this.reason = reason;
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
