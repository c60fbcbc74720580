package dev.balancer.config;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.List;

import org.springframework.boot.EnvironmentPostProcessor;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.context.config.ConfigDataEnvironmentPostProcessor;
import org.springframework.boot.env.DefaultPropertiesPropertySource;
import org.springframework.boot.env.YamlPropertySourceLoader;
import org.springframework.core.Ordered;
import org.springframework.core.env.ConfigurableEnvironment;
import org.springframework.core.env.MutablePropertySources;
import org.springframework.core.env.PropertySource;
import org.springframework.core.io.ClassPathResource;

/**
 * The balancer's built-in defaults ({@value #RESOURCE} in the jar), below every other source of settings, whichever
 * configuration files Spring Boot reads.
 * <p>
 * They were the jar's {@code application.yml}, which Spring Boot reads only from its default locations. An operator
 * who names the configuration file with {@code spring.config.location} (a usual way in containers) replaces those
 * locations, and every built-in default went without a word: the actuator's own port (start-up then failed, saying
 * {@code management.server.port} was not set), graceful shutdown, the limits on idle backend connections, and
 * {@code server.forward-headers-strategy: none}, so that on Kubernetes Spring Boot trusted {@code X-Forwarded-*}
 * from any client. Spring Boot has no location that {@code spring.config.location} leaves in place, hence this
 * post-processor. It runs after the configuration files are read, and puts the defaults after them, above only
 * {@link SpringApplication#setDefaultProperties application defaults} set in code.
 */
public final class BuiltInDefaults implements EnvironmentPostProcessor, Ordered {

	/** The class path resource the defaults are in. */
	static final String RESOURCE = "balancer-defaults.yml";

	/** The name of their property source. */
	static final String NAME = "balancer built-in defaults (class path resource [" + RESOURCE + "])";

	@Override
	public void postProcessEnvironment(ConfigurableEnvironment environment, SpringApplication application) {
		MutablePropertySources sources = environment.getPropertySources();
		if (sources.contains(NAME)) {
			return;
		}
		PropertySource<?> defaults = load();
		if (sources.contains(DefaultPropertiesPropertySource.NAME)) {
			sources.addBefore(DefaultPropertiesPropertySource.NAME, defaults);
		}
		else {
			sources.addLast(defaults);
		}
	}

	static PropertySource<?> load() {
		try {
			List<PropertySource<?>> documents = new YamlPropertySourceLoader().load(NAME,
					new ClassPathResource(RESOURCE, BuiltInDefaults.class.getClassLoader()));
			if (documents.size() != 1) {
				throw new IllegalStateException(RESOURCE + " must hold one YAML document, not " + documents.size());
			}
			return documents.get(0);
		}
		catch (IOException ex) {
			throw new UncheckedIOException("Could not read the built-in defaults, " + RESOURCE, ex);
		}
	}

	/** After the configuration files are read ({@link ConfigDataEnvironmentPostProcessor}). */
	@Override
	public int getOrder() {
		return ConfigDataEnvironmentPostProcessor.ORDER + 1;
	}

}
