package dev.balancer.config;

import org.springframework.boot.diagnostics.AbstractFailureAnalyzer;
import org.springframework.boot.diagnostics.FailureAnalysis;

/** Reports a setting a check found wrong ({@link InvalidSettingException}), in the form of the balancer's own settings. */
class InvalidSettingFailureAnalyzer extends AbstractFailureAnalyzer<InvalidSettingException> {

	@Override
	protected FailureAnalysis analyze(Throwable rootFailure, InvalidSettingException cause) {
		StringBuilder description = new StringBuilder("Invalid configuration:\n");
		InvalidConfigurationFailureAnalyzer.describe(description, cause.property(), cause.bound(), cause.reason());
		return new FailureAnalysis(description.toString(),
				"Fix the setting named above in config/application.yml or on the command line.", cause);
	}

}
