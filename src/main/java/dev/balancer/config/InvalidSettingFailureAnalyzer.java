package dev.balancer.config;

import org.springframework.boot.diagnostics.AbstractFailureAnalyzer;
import org.springframework.boot.diagnostics.FailureAnalysis;

/** Reports a TLS setting {@link TlsSettingsCheck} found wrong, in the form of the balancer's own settings. */
class InvalidTlsSettingFailureAnalyzer extends AbstractFailureAnalyzer<InvalidTlsSettingException> {

	@Override
	protected FailureAnalysis analyze(Throwable rootFailure, InvalidTlsSettingException cause) {
		StringBuilder description = new StringBuilder("Invalid configuration:\n");
		InvalidConfigurationFailureAnalyzer.describe(description, cause.property(), cause.bound(), cause.reason());
		return new FailureAnalysis(description.toString(),
				"Fix the TLS setting named above in config/application.yml or on the command line.", cause);
	}

}
