package dev.balancer.routing;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import org.springframework.http.HttpHeaders;

/**
 * Header values by lower-case name, each name's values in their order: what two sets of headers are compared by.
 * ({@link HttpHeaders#equals} is not symmetric between Spring's own and Netty-backed headers.)
 */
final class HeadersByName {

	private HeadersByName() {
	}

	static Map<String, List<String>> byName(List<Map.Entry<String, String>> headers) {
		Map<String, List<String>> byName = new LinkedHashMap<>();
		headers.forEach(header -> byName
			.computeIfAbsent(header.getKey().toLowerCase(Locale.ROOT), name -> new ArrayList<>())
			.add(header.getValue()));
		return byName;
	}

	static Map<String, List<String>> byName(HttpHeaders headers) {
		List<Map.Entry<String, String>> entries = new ArrayList<>();
		headers.forEach((name, values) -> values.forEach(value -> entries.add(Map.entry(name, value))));
		return byName(entries);
	}

}
