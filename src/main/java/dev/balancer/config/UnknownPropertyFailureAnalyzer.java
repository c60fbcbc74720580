package dev.balancer.config;

import java.util.Comparator;
import java.util.List;

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

	/** Every key the balancer reads, lists' elements as {@code []}. */
	private static final List<String> KNOWN = SettingNames.keys(PREFIX, BalancerProperties.class);

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
		StringBuilder description = new StringBuilder("Unknown configuration:\n");
		for (ConfigurationProperty property : unknown) {
			String name = property.getName().toString();
			description.append("\n    Property: ").append(name);
			description.append("\n    Value: \"").append(property.getValue()).append('"');
			if (property.getOrigin() != null) {
				description.append("\n    Origin: ").append(property.getOrigin());
			}
			String meant = closest(name);
			description.append("\n    Reason: not a balancer setting")
				.append((meant != null) ? "; did you mean " + meant + "?" : "")
				.append('\n');
		}
		return new FailureAnalysis(description.toString(),
				"Fix or remove the balancer.* properties named above in config/application.yml or on the command line."
						+ " README.md, \"Configuration\", lists every setting.",
				cause);
	}

	/**
	 * The balancer's key nearest to a name, by edit distance, spaces and dashes aside, as the user would write it,
	 * or {@code null} when none is near.
	 */
	static @Nullable String closest(String name) {
		return SettingNames.closest(name, KNOWN);
	}

}
