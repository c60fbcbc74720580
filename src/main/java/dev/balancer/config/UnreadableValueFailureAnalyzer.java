package dev.balancer.config;

import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.stream.Collectors;

import org.jspecify.annotations.Nullable;

import org.springframework.boot.context.properties.bind.BindException;
import org.springframework.boot.diagnostics.AbstractFailureAnalyzer;
import org.springframework.boot.diagnostics.FailureAnalysis;
import org.springframework.core.NestedExceptionUtils;
import org.springframework.core.Ordered;
import org.springframework.core.convert.ConversionFailedException;
import org.springframework.core.convert.ConverterNotFoundException;
import org.springframework.core.convert.TypeDescriptor;
import org.springframework.util.unit.DataSize;

/**
 * Reports a {@code balancer.*} value that is not of the setting's kind, such as {@code balancer.timeouts.connect=abc}
 * or {@code balancer.strategy=fastest}, with what the setting takes, in the form operators write it; and a value
 * given to a group of settings ({@code balancer.sticky-session=true}, {@code balancer.backends=http://...}), with the
 * settings the group holds.
 * <p>
 * Spring Boot's own report gives as the reason the Java type with its annotations
 * ({@code failed to convert java.lang.String to @...DefaultValue @...DurationMin java.time.Duration}) and lists an
 * enum's values as Java constants ({@code ROUND_ROBIN}), which are not what the setting takes.
 */
class UnreadableValueFailureAnalyzer extends AbstractFailureAnalyzer<BindException> implements Ordered {

	private static final String PREFIX = "balancer.";

	@Override
	public int getOrder() {
		return Ordered.HIGHEST_PRECEDENCE; // ahead of Spring Boot's BindFailureAnalyzer
	}

	@Override
	protected @Nullable FailureAnalysis analyze(Throwable rootFailure, BindException cause) {
		String property = cause.getName().toString();
		if (!property.startsWith(PREFIX)) {
			return null;
		}
		String reason = reason(property, cause);
		if (reason == null) {
			return null;
		}
		StringBuilder description = new StringBuilder("Invalid configuration:\n");
		if (cause.getProperty() != null) {
			InvalidConfigurationFailureAnalyzer.describe(description, property, cause.getProperty(), reason);
		}
		else {
			// Spring Boot does not say which value it met where it binds a group of settings
			description.append("\n    Property: ").append(property);
			description.append("\n    Reason: ").append(reason).append('\n');
		}
		return new FailureAnalysis(description.toString(), InvalidConfigurationFailureAnalyzer.ACTION, cause);
	}

	private static @Nullable String reason(String property, BindException cause) {
		if (cause.getCause() instanceof ConversionFailedException conversion) {
			return reason(conversion.getTargetType().getType(), conversion);
		}
		// a value where a group of settings goes (balancer.sticky-session=true, balancer.backends=http://...)
		if (cause.getCause() instanceof ConverterNotFoundException notFound && notFound.getTargetType() != null) {
			return groupReason(property, notFound.getTargetType());
		}
		return null;
	}

	/**
	 * Why a value cannot be given to a group of settings, or to a list of them, naming the settings it holds;
	 * {@code null} for a type that is neither. Spring Boot said only that it found no converter for the record.
	 */
	static @Nullable String groupReason(String property, TypeDescriptor target) {
		if (target.getType().isRecord()) {
			return "is a group of settings, not a value of its own: set "
					+ String.join(", ", SettingNames.keys(property, target.getType()));
		}
		TypeDescriptor element = target.getElementTypeDescriptor();
		if (List.class.isAssignableFrom(target.getType()) && element != null && element.getType().isRecord()) {
			return "is a list, each element a group of settings: set "
					+ String.join(", ", SettingNames.keys(property + "[0]", element.getType())) + ", then [1] and on";
		}
		return null;
	}

	/** What a value for a setting of this type looks like. */
	static String reason(Class<?> type, ConversionFailedException failure) {
		if ((type == int.class || type == Integer.class) && failure.getValue() instanceof String text
				&& text.trim().matches("[+-]?\\d+")) {
			return "must be a whole number from " + Integer.MIN_VALUE + " to " + Integer.MAX_VALUE;
		}
		String kind = kind(type);
		return (kind != null) ? "must be " + kind
				: "cannot be read: " + NestedExceptionUtils.getMostSpecificCause(failure).getMessage();
	}

	/**
	 * The kind of value a setting of this type takes, as operators write it ({@code a duration such as 500ms, 2s or
	 * 1m}), or {@code null} for a type without one to name.
	 */
	static @Nullable String kind(Class<?> type) {
		if (type == Duration.class) {
			return "a duration such as 500ms, 2s or 1m";
		}
		if (type == DataSize.class) {
			return "a size such as 512KB or 1MB";
		}
		if (type == int.class || type == Integer.class) {
			return "a whole number";
		}
		if (type == boolean.class || type == Boolean.class) {
			return "true or false";
		}
		if (type.isEnum()) {
			return "one of " + Arrays.stream(type.getEnumConstants())
				.map((constant) -> ((Enum<?>) constant).name().toLowerCase(Locale.ROOT).replace('_', '-'))
				.collect(Collectors.joining(", "));
		}
		return null;
	}

}
