package dev.balancer.routing;

import java.util.Date;

import io.netty.handler.codec.DateFormatter;

/**
 * The time as a {@code Date} header gives it ({@code Fri, 27 Nov 2026 21:05:00 GMT}, RFC 9110 5.6.7), for the
 * responses that come without one: the balancer's own answers, which RFC 9110 (6.6.1) asks an origin server to date,
 * and backends' responses without a {@code Date}, which it asks a proxy to date as it passes them on, as nginx does.
 * Reactor Netty adds none. Formatted once a second at most.
 */
public final class HttpDate {

	private static volatile Formatted last = new Formatted(Long.MIN_VALUE, "");

	private HttpDate() {
	}

	/** The current time, to the second. */
	public static String now() {
		long second = System.currentTimeMillis() / 1000;
		Formatted formatted = last;
		if (formatted.second() != second) {
			formatted = new Formatted(second, DateFormatter.format(new Date(second * 1000)));
			last = formatted;
		}
		return formatted.text();
	}

	private record Formatted(long second, String text) {
	}

}
