package dev.balancer.config;

import org.jspecify.annotations.Nullable;

import org.springframework.boot.context.properties.bind.DataObjectPropertyName;
import org.springframework.boot.context.properties.bind.validation.BindValidationException;
import org.springframework.boot.context.properties.bind.validation.ValidationErrors;
import org.springframework.boot.context.properties.source.ConfigurationProperty;
import org.springframework.boot.context.properties.source.ConfigurationPropertyName;
import org.springframework.boot.diagnostics.AbstractFailureAnalyzer;
import org.springframework.boot.diagnostics.FailureAnalysis;
import org.springframework.boot.ssl.pem.PemContent;
import org.springframework.core.Ordered;
import org.springframework.validation.FieldError;
import org.springframework.validation.ObjectError;

/**
 * Reports invalid {@code balancer.*} configuration by the names operators write, such as
 * {@code balancer.health-check.interval}, with the value and where it came from.
 * <p>
 * Spring Boot's own report names a nested record's property by its Java path
 * ({@code balancer.healthCheck.interval}) and finds neither its value as written nor its origin.
 */
class InvalidConfigurationFailureAnalyzer extends AbstractFailureAnalyzer<BindValidationException>
		implements Ordered {

	private static final String PREFIX = "balancer";

	/** What to do about any invalid {@code balancer.*} value. */
	static final String ACTION = "Fix the balancer.* properties named above in config/application.yml"
			+ " or on the command line.";

	@Override
	public int getOrder() {
		return Ordered.HIGHEST_PRECEDENCE; // ahead of Spring Boot's BindValidationFailureAnalyzer
	}

	@Override
	protected @Nullable FailureAnalysis analyze(Throwable rootFailure, BindValidationException cause) {
		ValidationErrors errors = cause.getValidationErrors();
		if (!errors.getName().toString().equals(PREFIX)) {
			return null;
		}
		StringBuilder description = new StringBuilder("Invalid configuration:\n");
		for (ObjectError error : errors) {
			String property = (error instanceof FieldError field)
					? PREFIX + "." + DataObjectPropertyName.toDashedForm(field.getField()) : PREFIX;
			describe(description, property, find(errors, property), String.valueOf(error.getDefaultMessage()));
		}
		return new FailureAnalysis(description.toString(), ACTION, cause);
	}

	/**
	 * One entry of the report: the property, its value as written (but no password or PEM text: the report goes to
	 * the log), where it came from and what is wrong with it.
	 */
	static void describe(StringBuilder description, String property, @Nullable ConfigurationProperty bound,
			String reason) {
		description.append("\n    Property: ").append(property);
		description.append("\n    Value: ").append(shown(property, bound));
		if (bound != null && bound.getOrigin() != null) {
			description.append("\n    Origin: ").append(bound.getOrigin());
		}
		description.append("\n    Reason: ").append(reason).append('\n');
	}

	private static String shown(String property, @Nullable ConfigurationProperty bound) {
		if (bound == null || bound.getValue() == null) {
			return "(not set)";
		}
		String value = String.valueOf(bound.getValue());
		if (property.endsWith("password")) {
			return "(hidden)";
		}
		return PemContent.isPresentInText(value) ? "(PEM text)" : "\"" + value + "\"";
	}

	private static @Nullable ConfigurationProperty find(ValidationErrors errors, String property) {
		ConfigurationPropertyName name = ConfigurationPropertyName.of(property);
		for (ConfigurationProperty bound : errors.getBoundProperties()) {
			if (bound.getName().equals(name)) {
				return bound;
			}
		}
		return null;
	}

}
