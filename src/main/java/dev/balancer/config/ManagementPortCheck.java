package dev.balancer.config;

import org.springframework.boot.actuate.autoconfigure.web.server.ManagementPortType;
import org.springframework.boot.web.server.ConfigurableWebServerFactory;
import org.springframework.boot.web.server.WebServerFactoryCustomizer;
import org.springframework.core.env.Environment;

/**
 * Stops start-up when the actuator would share the port clients use: {@code management.server.port} set to the
 * {@code server.port}. Spring Boot takes that without a word and answers {@code /actuator/*} on the proxied port
 * itself: those paths of the backends are no longer reached, and every client can read the balancer's health and
 * metrics, backend addresses included. (A management port of {@code -1} turns the actuator's HTTP endpoints off,
 * and is left to the operator.)
 */
class ManagementPortCheck implements WebServerFactoryCustomizer<ConfigurableWebServerFactory> {

	static final String PROPERTY = "management.server.port";

	private final Environment environment;

	ManagementPortCheck(Environment environment) {
		this.environment = environment;
	}

	@Override
	public void customize(ConfigurableWebServerFactory factory) {
		if (ManagementPortType.get(this.environment) == ManagementPortType.SAME) {
			throw InvalidSettingException.of(this.environment, PROPERTY, "must differ from server.port ("
					+ this.environment.getProperty("server.port", "8080") + "): every path of the port clients use"
					+ " is proxied, and /actuator/* there would answer clients with the balancer's health and metrics"
					+ " instead (the default is 9901; -1 turns the actuator's HTTP endpoints off)");
		}
	}

}
