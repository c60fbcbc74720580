package dev.balancer.config;

import org.jspecify.annotations.Nullable;

import org.springframework.boot.diagnostics.AbstractFailureAnalyzer;
import org.springframework.boot.diagnostics.FailureAnalysis;
import org.springframework.boot.web.server.PortInUseException;
import org.springframework.core.Ordered;
import org.springframework.core.env.Environment;

/**
 * A port the balancer could not listen on because another process does, reported by the setting that names it:
 * {@code server.port}, where clients connect, or {@code management.server.port}, where probes and scrapes do.
 * Spring Boot's own report says only "Port 9901 was already in use", and the management port is bound after the
 * line that says the balancer started, so an operator could not tell which setting to change.
 */
class BusyPortFailureAnalyzer extends AbstractFailureAnalyzer<PortInUseException> implements Ordered {

	private static final String[] PORT_SETTINGS = { "server.port", "management.server.port" };

	private final Environment environment;

	BusyPortFailureAnalyzer(Environment environment) {
		this.environment = environment;
	}

	@Override
	public int getOrder() {
		return Ordered.HIGHEST_PRECEDENCE; // ahead of Spring Boot's PortInUseFailureAnalyzer
	}

	@Override
	protected @Nullable FailureAnalysis analyze(Throwable rootFailure, PortInUseException cause) {
		String setting = settingOf(cause.getPort());
		if (setting == null) {
			return null;
		}
		StringBuilder description = new StringBuilder("Invalid configuration:\n");
		InvalidConfigurationFailureAnalyzer.describe(description, setting,
				InvalidSettingException.find(this.environment, setting),
				"port " + cause.getPort() + " is in use by another process");
		return new FailureAnalysis(description.toString(), "Stop the process listening on port " + cause.getPort()
				+ ", or set " + setting + " to a free port in config/application.yml or on the command line.", cause);
	}

	/** The setting that asked for the port, or {@code null} when none did. */
	private @Nullable String settingOf(int port) {
		for (String setting : PORT_SETTINGS) {
			Integer configured = this.environment.getProperty(setting, Integer.class);
			if (configured != null && configured == port) {
				return setting;
			}
		}
		return null;
	}

}
