package dev.balancer.config;

import java.util.List;

import org.springframework.boot.context.properties.bind.BindException;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.web.server.ConfigurableWebServerFactory;
import org.springframework.boot.web.server.WebServerFactoryCustomizer;
import org.springframework.core.env.Environment;
import org.springframework.util.unit.DataSize;

/**
 * Stops start-up when a limit on the length of a request or response head is not positive, naming the property.
 * Reactor Netty refuses such a limit where Spring Boot or the gateway hands it over, and start-up failed with
 * {@code maxHeaderSize must be strictly positive} and a stack trace, without the property's name. The limits are
 * those README.md names: the clients' (nginx's 8 KB line, 32 KB headers here) and the backends'.
 */
class LengthLimitsCheck implements WebServerFactoryCustomizer<ConfigurableWebServerFactory> {

	/** The limits, each a size. */
	static final List<String> LIMITS = List.of("server.max-http-request-header-size",
			"server.netty.max-initial-line-length", "spring.cloud.gateway.server.webflux.httpclient.max-header-size",
			"spring.cloud.gateway.server.webflux.httpclient.max-initial-line-length");

	private final Environment environment;

	LengthLimitsCheck(Environment environment) {
		this.environment = environment;
	}

	@Override
	public void customize(ConfigurableWebServerFactory factory) {
		Binder binder = Binder.get(this.environment);
		for (String property : LIMITS) {
			DataSize limit;
			try {
				limit = binder.bind(property, DataSize.class).orElse(null);
			}
			catch (BindException ex) {
				continue; // not a size at all: Spring Boot's own report names it when it binds the property
			}
			if (limit != null && limit.toBytes() <= 0) {
				throw InvalidSettingException.of(this.environment, property, "must be a positive size such as 16KB");
			}
		}
	}

}
