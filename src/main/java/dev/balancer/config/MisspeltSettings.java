package dev.balancer.config;

import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import org.jspecify.annotations.Nullable;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import org.springframework.boot.context.properties.source.ConfigurationPropertyName;
import org.springframework.boot.env.OriginTrackedMapPropertySource;
import org.springframework.boot.origin.Origin;
import org.springframework.boot.origin.PropertySourceOrigin;
import org.springframework.core.env.CommandLinePropertySource;
import org.springframework.core.env.ConfigurableEnvironment;
import org.springframework.core.env.EnumerablePropertySource;
import org.springframework.core.env.PropertySource;
import org.springframework.core.io.Resource;
import org.springframework.core.io.support.PathMatchingResourcePatternResolver;

/**
 * Keys in {@code config/application.yml} or on the command line that are a few letters off a setting Spring Boot,
 * Spring Cloud or the balancer reads, such as {@code server.prot} or {@code managment.server.port}. Spring ignores a
 * key it does not know without a word, and the setting it was meant for stays at its default: the actuator on 9901
 * rather than the port the operator chose, say.
 * <p>
 * The settings are those of the configuration metadata the Spring jars carry
 * ({@code META-INF/spring-configuration-metadata.json}); a key under one of them ({@code logging.level.*},
 * {@code spring.ssl.bundle.pem.*}, a route of the gateway's) counts as known. A key far from every setting is taken
 * for one of the operator's own and left alone, and so are environment variables and system properties (Kubernetes
 * gives every pod variables of its own). {@code balancer.*} keys have a strict check of their own
 * ({@link UnknownPropertyFailureAnalyzer}), and {@code spring.cloud.gateway.*} keys of before version 5 a warning
 * in {@link StartupLog}.
 */
final class MisspeltSettings {

	private static final String METADATA = "classpath*:META-INF/spring-configuration-metadata.json";

	/** The settings, and every name above one ({@code server}, {@code server.netty}). */
	private final Set<ConfigurationPropertyName> known = new HashSet<>();

	private final Set<ConfigurationPropertyName> settings = new HashSet<>();

	/** The settings as written in the metadata, to suggest. */
	private final List<String> names = new ArrayList<>();

	MisspeltSettings(Iterable<String> settings) {
		for (String setting : settings) {
			ConfigurationPropertyName name = ConfigurationPropertyName.adapt(setting, '.');
			this.settings.add(name);
			this.names.add(setting);
			for (int elements = 1; elements <= name.getNumberOfElements(); elements++) {
				this.known.add(name.chop(elements));
			}
		}
	}

	/** The settings the jars on the class path describe. */
	static MisspeltSettings fromClassPath(@Nullable ClassLoader classLoader) throws IOException {
		List<String> settings = new ArrayList<>();
		for (Resource metadata : new PathMatchingResourcePatternResolver(classLoader).getResources(METADATA)) {
			try (InputStream in = metadata.getInputStream()) {
				JsonNode properties = JsonMapper.shared().readTree(in).path("properties");
				properties.valueStream().map((property) -> property.path("name").asString()).forEach(settings::add);
			}
		}
		return new MisspeltSettings(settings);
	}

	/** Each misspelt key of the environment's configuration files and command line, in their order. */
	List<Misspelling> find(ConfigurableEnvironment environment) {
		List<Misspelling> found = new ArrayList<>();
		for (PropertySource<?> source : environment.getPropertySources()) {
			if ((source instanceof OriginTrackedMapPropertySource || source instanceof CommandLinePropertySource<?>)
					&& source instanceof EnumerablePropertySource<?> enumerable) {
				for (String key : enumerable.getPropertyNames()) {
					String meant = meant(key);
					if (meant != null) {
						found.add(new Misspelling(key, meant, PropertySourceOrigin.get(source, key)));
					}
				}
			}
		}
		return found;
	}

	/** The setting a key was most likely meant for, or {@code null} for a known key or one far from any. */
	@Nullable String meant(String key) {
		if (key.startsWith("balancer.") || (key.startsWith(StartupLog.RETIRED_GATEWAY_PREFIX)
				&& !key.startsWith(StartupLog.RETIRED_GATEWAY_PREFIX + "server."))) {
			return null;
		}
		ConfigurationPropertyName name = ConfigurationPropertyName.adapt(key, '.');
		if (name.isEmpty() || this.known.contains(name)) {
			return null;
		}
		for (int elements = 1; elements < name.getNumberOfElements(); elements++) {
			if (this.settings.contains(name.chop(elements))) {
				return null; // a key of a map or list setting, or of an object the metadata does not detail
			}
		}
		return SettingNames.closest(key, this.names);
	}

	/** A key in the configuration that is no setting, the setting it was most likely meant for, and where it is. */
	record Misspelling(String key, String meant, @Nullable Origin origin) {

		@Override
		public String toString() {
			return this.key + " is not a setting, and is ignored; did you mean " + this.meant + "?"
					+ ((this.origin != null) ? " (" + this.origin + ")" : "");
		}

	}

}
