package dev.balancer.metrics;

import java.util.Locale;
import java.util.concurrent.atomic.LongAdder;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.MeterBinder;

/**
 * Client requests and connections that the balancer refused or closed itself, before any backend was tried: the
 * requests that are not valid HTTP, heads that did not come whole, failed TLS handshakes. They are answered, or
 * closed, in Netty's pipeline, below Spring and the gateway, so no other metric counts them: only their log lines,
 * of which at most 10 a second are written. HAProxy counts the same as its frontends' request errors, Envoy as
 * protocol and TLS connection errors.
 * <p>
 * The counts are the process's, as the handlers that count them are shared by every connection; each registry they
 * are bound to reads the same ones.
 */
public final class ClientErrors implements MeterBinder {

	/** What was wrong, the {@code reason} tag. */
	public enum Reason {

		/** A request that is not valid HTTP: a 400 (its target, its {@code Host}, or what Netty could not decode). */
		INVALID_REQUEST,

		/** A request line over {@code server.netty.max-initial-line-length}: a 414. */
		URI_TOO_LONG,

		/** Request headers over {@code server.max-http-request-header-size}: a 431. */
		HEADERS_TOO_LARGE,

		/** A request of another version than HTTP/1.0 and HTTP/1.1: a 505. */
		HTTP_VERSION,

		/** A request body in a transfer coding other than {@code chunked} alone: a 501. */
		TRANSFER_CODING,

		/** A request head that did not come whole within {@code server.netty.idle-timeout}: the connection closed. */
		HEAD_TIMEOUT,

		/** An HTTP/2 stream or connection that broke the protocol: the stream reset, or the connection closed. */
		HTTP2_PROTOCOL,

		/** Plain HTTP sent to the port that takes TLS: a 400 saying to use {@code https://}. */
		PLAIN_HTTP,

		/**
		 * A TLS handshake that failed: the client refused the certificate, or the two sides share no protocol
		 * version or cipher. A connection closed before any TLS record came is not counted.
		 */
		TLS_HANDSHAKE;

		private final LongAdder count = new LongAdder();

		/** The value of the {@code reason} tag. */
		public String tag() {
			return name().toLowerCase(Locale.ROOT);
		}

	}

	/** Counts a request or connection refused for the reason. */
	public static void refused(Reason reason) {
		reason.count.increment();
	}

	/** The requests and connections refused for the reason since the process started. */
	public static long timesRefused(Reason reason) {
		return reason.count.sum();
	}

	@Override
	public void bindTo(MeterRegistry registry) {
		for (Reason reason : Reason.values()) {
			FunctionCounter.builder("balancer.client.errors", reason.count, LongAdder::sum)
				.description("Client requests and connections refused or closed before any backend was tried, "
						+ "by what was wrong")
				.tag("reason", reason.tag())
				.register(registry);
		}
	}

}
