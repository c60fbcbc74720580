package dev.balancer.health;

import java.util.ArrayList;
import java.util.List;

import org.jspecify.annotations.Nullable;

/**
 * A range of HTTP status codes, both ends included.
 *
 * @param from the lowest code
 * @param to the highest code
 */
public record StatusRange(int from, int to) {

	public boolean contains(int status) {
		return status >= this.from && status <= this.to;
	}

	/** Parses {@code 200-299,301}; {@code null} when the text is not such a list of codes from 100 to 599. */
	public static @Nullable List<StatusRange> parseAll(String text) {
		List<StatusRange> ranges = new ArrayList<>();
		for (String part : text.split(",", -1)) {
			String[] ends = part.trim().split("-", -1);
			if (ends.length > 2) {
				return null;
			}
			Integer from = code(ends[0]);
			Integer to = (ends.length == 2) ? code(ends[1]) : from;
			if (from == null || to == null || from > to) {
				return null;
			}
			ranges.add(new StatusRange(from, to));
		}
		return ranges;
	}

	private static @Nullable Integer code(String text) {
		String trimmed = text.trim();
		if (!trimmed.matches("\\d{3}")) {
			return null;
		}
		int code = Integer.parseInt(trimmed);
		return (code >= 100 && code <= 599) ? code : null;
	}

}
