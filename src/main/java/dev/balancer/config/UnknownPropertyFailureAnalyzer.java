package dev.balancer.config;

import java.util.Comparator;
import java.util.List;
import java.util.Map;

import org.jspecify.annotations.Nullable;

import org.springframework.boot.context.properties.bind.UnboundConfigurationPropertiesException;
import org.springframework.boot.context.properties.source.ConfigurationProperty;
import org.springframework.boot.diagnostics.AbstractFailureAnalyzer;
import org.springframework.boot.diagnostics.FailureAnalysis;
import org.springframework.core.Ordered;

/**
 * Reports a {@code balancer.*} key that is no setting, such as {@code balancer.helth-check.interval}, with the
 * setting it most likely meant.
 * <p>
 * {@link BalancerProperties} does not ignore unknown keys: a misspelt key in {@code config/application.yml} or on
 * the command line would otherwise leave its setting at the default without a word, as nginx and HAProxy never
 * do with an unknown directive. Spring Boot leaves environment variables and Java system properties out of this
 * check, so that variables such as the {@code BALANCER_SERVICE_HOST} Kubernetes gives every pod beside a Service
 * named {@code balancer} do not stop the balancer. Its own report names the Java type it bound to and suggests
 * nothing.
 */
class UnknownPropertyFailureAnalyzer extends AbstractFailureAnalyzer<UnboundConfigurationPropertiesException>
		implements Ordered {

	private static final String PREFIX = "balancer";

	/** Every key the balancer reads, lists' elements as {@code []}, with the type of its value. */
	private static final Map<String, Class<?>> SETTINGS = SettingNames.settings(PREFIX, BalancerProperties.class);

	private static final List<String> KNOWN = List.copyOf(SETTINGS.keySet());

	@Override
	public int getOrder() {
		return Ordered.HIGHEST_PRECEDENCE; // ahead of Spring Boot's UnboundConfigurationPropertiesFailureAnalyzer
	}

	@Override
	protected @Nullable FailureAnalysis analyze(Throwable rootFailure, UnboundConfigurationPropertiesException cause) {
		List<ConfigurationProperty> unknown = cause.getUnboundProperties()
			.stream()
			.filter((property) -> property.getName().toString().startsWith(PREFIX + "."))
			.sorted(Comparator.comparing((property) -> property.getName().toString()))
			.toList();
		if (unknown.isEmpty()) {
			return null;
		}
		// an empty value leaves a setting unbound as well (see reason)
		boolean unknownKeys = unknown.stream().anyMatch((property) -> !isSetting(property.getName().toString()));
		StringBuilder description = new StringBuilder((unknownKeys ? "Unknown" : "Invalid") + " configuration:\n");
		for (ConfigurationProperty property : unknown) {
			String name = property.getName().toString();
			description.append("\n    Property: ").append(name);
			description.append("\n    Value: \"").append(property.getValue()).append('"');
			if (property.getOrigin() != null) {
				description.append("\n    Origin: ").append(property.getOrigin());
			}
			description.append("\n    Reason: ").append(reason(name)).append('\n');
		}
		return new FailureAnalysis(description.toString(),
				"Fix or remove the balancer.* properties named above in config/application.yml or on the command line."
						+ " README.md, \"Configuration\", lists every setting.",
				cause);
	}

	/**
	 * Why a key was left unbound. Mostly a key that is no setting; but Spring Boot leaves a setting unbound too when
	 * its value is empty ({@code interval:} in YAML with nothing after it), which was reported as no setting, with
	 * itself as the one meant.
	 */
	static String reason(String name) {
		Class<?> type = SETTINGS.get(SettingNames.withoutIndexes(name));
		if (type != null) {
			String kind = UnreadableValueFailureAnalyzer.kind(type);
			return "has no value: give it " + ((kind != null) ? kind : "one") + ", or leave the key out";
		}
		String meant = closest(name);
		return "not a balancer setting" + ((meant != null) ? "; did you mean " + meant + "?" : "");
	}

	private static boolean isSetting(String name) {
		return SETTINGS.containsKey(SettingNames.withoutIndexes(name));
	}

	/**
	 * The balancer's key nearest to a name, by edit distance, spaces and dashes aside, as the user would write it,
	 * or {@code null} when none is near.
	 */
	static @Nullable String closest(String name) {
		return SettingNames.closest(name, KNOWN);
	}

}
