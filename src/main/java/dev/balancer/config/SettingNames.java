package dev.balancer.config;

import java.lang.reflect.ParameterizedType;
import java.lang.reflect.RecordComponent;
import java.lang.reflect.Type;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.jspecify.annotations.Nullable;

import org.springframework.boot.context.properties.bind.DataObjectPropertyName;

/**
 * Names of settings: the keys a properties record binds, and the known key nearest to a misspelt one. Shared by the
 * reports of unknown {@code balancer.*} keys ({@link UnknownPropertyFailureAnalyzer}), of durations without a unit
 * ({@link DurationUnitsCheck}) and of misspelt Spring settings ({@link MisspeltSettings}).
 */
final class SettingNames {

	private static final Pattern INDEX = Pattern.compile("\\[(\\d+)]");

	private SettingNames() {
	}

	/**
	 * The key of {@code known} nearest to a name, by edit distance, spaces and dashes aside, as the user would write
	 * it, with the name's list index; or {@code null} when none is near.
	 */
	static @Nullable String closest(String name, List<String> known) {
		Matcher index = INDEX.matcher(name);
		String listIndex = index.find() ? index.group(1) : "0";
		String given = canonical(withoutIndexes(name));
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

	/** A key as {@link #keys} gives it: its lists' indexes as {@code []} ({@code balancer.backends[].url}). */
	static String withoutIndexes(String name) {
		return INDEX.matcher(name).replaceAll("[]");
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
