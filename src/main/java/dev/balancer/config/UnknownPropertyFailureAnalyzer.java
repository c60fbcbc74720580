package dev.balancer.config;

import java.lang.reflect.ParameterizedType;
import java.lang.reflect.RecordComponent;
import java.lang.reflect.Type;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.jspecify.annotations.Nullable;

import org.springframework.boot.context.properties.bind.DataObjectPropertyName;
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

	private static final Pattern INDEX = Pattern.compile("\\[(\\d+)]");

	/** Every key the balancer reads, lists' elements as {@code []}. */
	private static final List<String> KNOWN = keys(PREFIX, BalancerProperties.class);

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
	 * The known key nearest to a name, by edit distance, spaces and dashes aside, as the user would write it, or
	 * {@code null} when none is near.
	 */
	static @Nullable String closest(String name) {
		return closest(name, KNOWN);
	}

	/** The key of {@code known} nearest to a name, as {@link #closest(String)} finds it among the balancer's. */
	static @Nullable String closest(String name, List<String> known) {
		Matcher index = INDEX.matcher(name);
		String listIndex = index.find() ? index.group(1) : "0";
		String given = canonical(INDEX.matcher(name).replaceAll("[]"));
		String best = null;
		int bestDistance = Integer.MAX_VALUE;
		for (String candidate : known) {
			int distance = distance(given, canonical(candidate));
			if (distance < bestDistance) {
				best = candidate;
				bestDistance = distance;
			}
		}
		// A few letters off, for a name of any length: a typo, not another word.
		int near = Math.max(2, given.length() / 10);
		return (best != null && bestDistance <= near) ? best.replace("[]", "[" + listIndex + "]") : null;
	}

	private static String canonical(String name) {
		return name.replace("-", "").toLowerCase(Locale.ROOT);
	}

	/** Levenshtein distance. */
	private static int distance(String a, String b) {
		int[] previous = new int[b.length() + 1];
		int[] current = new int[b.length() + 1];
		for (int j = 0; j <= b.length(); j++) {
			previous[j] = j;
		}
		for (int i = 1; i <= a.length(); i++) {
			current[0] = i;
			for (int j = 1; j <= b.length(); j++) {
				int substitution = previous[j - 1] + ((a.charAt(i - 1) == b.charAt(j - 1)) ? 0 : 1);
				current[j] = Math.min(substitution, Math.min(previous[j], current[j - 1]) + 1);
			}
			int[] swap = previous;
			previous = current;
			current = swap;
		}
		return previous[b.length()];
	}

	/** The keys of a properties record, nested records and lists of records included. */
	static List<String> keys(String prefix, Class<?> type) {
		return new ArrayList<>(settings(prefix, type).keySet());
	}

	/** The keys of a properties record as {@link #keys} gives them, each with the type of its value. */
	static Map<String, Class<?>> settings(String prefix, Class<?> type) {
		Map<String, Class<?>> settings = new LinkedHashMap<>();
		for (RecordComponent component : type.getRecordComponents()) {
			String key = prefix + "." + DataObjectPropertyName.toDashedForm(component.getName());
			Class<?> element = listElement(component.getGenericType());
			if (component.getType().isRecord()) {
				settings.putAll(settings(key, component.getType()));
			}
			else if (element != null && element.isRecord()) {
				settings.putAll(settings(key + "[]", element));
			}
			else {
				settings.put(key, component.getType());
			}
		}
		return settings;
	}

	private static @Nullable Class<?> listElement(Type type) {
		if (type instanceof ParameterizedType parameterized && parameterized.getRawType() == List.class
				&& parameterized.getActualTypeArguments()[0] instanceof Class<?> element) {
			return element;
		}
		return null;
	}

}
