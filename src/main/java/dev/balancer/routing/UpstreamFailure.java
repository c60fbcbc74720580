package dev.balancer.routing;

import java.io.IOException;
import java.net.ConnectException;
import java.net.UnknownHostException;
import java.security.cert.CertPathBuilderException;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import javax.net.ssl.SSLHandshakeException;

import io.netty.channel.ConnectTimeoutException;
import io.netty.handler.codec.http.TooLongHttpHeaderException;
import io.netty.handler.codec.http.TooLongHttpLineException;
import io.netty.handler.ssl.NotSslRecordException;
import io.netty.resolver.dns.DnsNameResolverTimeoutException;
import org.jspecify.annotations.Nullable;
import reactor.netty.channel.AbortedException;
import reactor.netty.http.client.PrematureCloseException;

import org.springframework.cloud.gateway.support.TimeoutException;
import org.springframework.web.server.ResponseStatusException;

/**
 * Why an attempt to reach a backend failed before it answered. The kind decides whether the request may be
 * retried and whether the backend is taken out of rotation; it is also the {@code status} tag of failed
 * attempts in {@code balancer.backend.requests}.
 */
public enum UpstreamFailure {

	/**
	 * No connection could be made: refused, timed out, unknown host, or a failed TLS handshake. Nothing reached
	 * the backend.
	 */
	CONNECT("connect_error"),

	/** The connection closed or reset before a response arrived; the request may have been sent. */
	RESET("reset"),

	/**
	 * No response began within {@code balancer.timeouts.response}, or within what was left of
	 * {@code balancer.timeouts.request}, or one fell silent for {@code balancer.timeouts.read}; the request was
	 * sent.
	 */
	TIMEOUT("timeout"),

	/**
	 * The backend answered with something that is not a valid HTTP response head: a malformed status line or
	 * header, or a head over the client's size limits ({@link BackendResponseHeads}). The request was sent.
	 */
	INVALID_RESPONSE("invalid_response"),

	/**
	 * Not the backend's doing: the client fell silent in the middle of its request body for longer than
	 * {@code balancer.timeouts.client} ({@link ResponseTimeoutFilter.StalledRequestException}), or took none of
	 * the response for {@code balancer.timeouts.read} ({@link BackendResponseHeads.StalledClientException}).
	 */
	CLIENT_TIMEOUT("client_timeout"),

	/**
	 * Not the backend's doing: the client's request body broke off, because the client closed the connection in
	 * the middle of it or sent a malformed one ({@link BrokenRequestException}), or the client went away while it
	 * waited for the response ({@link AttemptCancelledException}; nginx logs these as 499).
	 */
	CLIENT_ABORT("client_abort"),

	/**
	 * Not the backend's doing nor the client's: the balancer had no buffer memory to read the client's body into
	 * ({@link OutOfBufferMemoryException}) or to send the response in (Netty's allocator failing with an
	 * {@link OutOfMemoryError}, which its HTTP encoder wraps).
	 */
	NO_BUFFER_MEMORY("no_buffer_memory"),

	/** Anything else. */
	OTHER("error");

	/** The start of the message of Netty's DNS resolver when it cannot resolve a name, with the name. */
	private static final Pattern NETTY_UNRESOLVED = Pattern.compile("Failed to resolve '([^']*)'");

	private final String tag;

	UpstreamFailure(String tag) {
		this.tag = tag;
	}

	public String tag() {
		return this.tag;
	}

	/** Whether the client caused the failure: it fell silent or went away. */
	public boolean isClientsDoing() {
		return this == CLIENT_TIMEOUT || this == CLIENT_ABORT;
	}

	/** Whether the failure tells something about the backend, so counts toward ejecting it. */
	public boolean isBackendsFault() {
		return this != OTHER && this != NO_BUFFER_MEMORY && !isClientsDoing();
	}

	public static UpstreamFailure of(Throwable failure) {
		// First: a client gone mid-upload fails the send with what a closed backend connection fails it with.
		if (causedBy(failure, BrokenRequestException.class)) {
			return CLIENT_ABORT;
		}
		// an OutOfBufferMemoryException from the request body, or Netty's error as its encoder hands it on
		if (causedBy(failure, OutOfMemoryError.class)) {
			return NO_BUFFER_MEMORY;
		}
		if (failure instanceof AttemptCancelledException cancelled) {
			return cancelled.isRequestTimeout() ? TIMEOUT : CLIENT_ABORT;
		}
		if (causedBy(failure, ResponseTimeoutFilter.StalledRequestException.class)
				|| causedBy(failure, BackendResponseHeads.StalledClientException.class)) {
			return CLIENT_TIMEOUT;
		}
		// The request is written only once the TLS handshake is done, so a failed handshake sent nothing; nor did
		// one with a backend that answered it in plain HTTP (Netty's NotSslRecordException, no SSLHandshakeException).
		if (causedBy(failure, ConnectException.class) || causedBy(failure, UnknownHostException.class)
				|| causedBy(failure, SSLHandshakeException.class) || causedBy(failure, NotSslRecordException.class)) {
			return CONNECT;
		}
		if (isResponseTimeout(failure) || causedBy(failure, BackendResponseHeads.StalledResponseException.class)) {
			return TIMEOUT;
		}
		if (causedBy(failure, BackendResponseHeads.InvalidResponseException.class)) {
			return INVALID_RESPONSE;
		}
		// Reactor Netty's AbortedException is no IOException: a pooled connection closed before the send.
		return (causedBy(failure, IOException.class) || causedBy(failure, AbortedException.class)) ? RESET : OTHER;
	}

	private static boolean causedBy(Throwable failure, Class<? extends Throwable> type) {
		return cause(failure, type) != null;
	}

	/** The first of a failure's chain of causes, the failure itself included, that is of a type; or {@code null}. */
	static <T extends Throwable> @Nullable T cause(Throwable failure, Class<T> type) {
		for (Throwable cause = failure; cause != null; cause = cause.getCause()) {
			if (type.isInstance(cause)) {
				return type.cast(cause);
			}
		}
		return null;
	}

	// ResponseTimeoutFilter, like the gateway's routing filter, turns an expired response timeout into a 504
	// ResponseStatusException caused by the gateway's TimeoutException.
	private static boolean isResponseTimeout(Throwable failure) {
		return failure instanceof ResponseStatusException status && status.getStatusCode().value() == 504
				&& causedBy(failure, TimeoutException.class);
	}

	/** A short, log-friendly reason such as {@code connection refused}, never a stack trace. */
	public static String describe(Throwable failure) {
		if (isResponseTimeout(failure)) {
			return "no response within the response timeout";
		}
		for (Throwable cause = failure; cause != null; cause = cause.getCause()) {
			if (cause instanceof BackendResponseHeads.InvalidResponseException) {
				return describeInvalidResponse(cause);
			}
			if (cause instanceof BackendResponseHeads.StalledResponseException
					|| cause instanceof ResponseTimeoutFilter.StalledRequestException
					|| cause instanceof BackendResponseHeads.StalledClientException
					|| cause instanceof BrokenRequestException || cause instanceof AttemptCancelledException) {
				return cause.getMessage();
			}
			if (cause instanceof ConnectTimeoutException) {
				return "connect timed out";
			}
			if (cause instanceof ConnectException) {
				return mentions(cause, "refused") ? "connection refused" : "cannot connect: " + cause.getMessage();
			}
			if (cause instanceof UnknownHostException) {
				return describeUnknownHost(cause);
			}
			if (cause instanceof SSLHandshakeException) {
				return describeHandshake(cause);
			}
			if (cause instanceof NotSslRecordException) {
				// Netty's message holds the backend's answer in hex: a whole HTML page of it
				return "TLS handshake failed: the backend does not speak TLS (plain HTTP on an https URL?)";
			}
			if (cause instanceof PrematureCloseException) {
				// Reactor Netty's own words: "Connection prematurely closed DURING response"
				return mentions(cause, "during") ? "connection closed in the middle of the response"
						: "connection closed before the response";
			}
			if (cause instanceof WebSocketProxyFilter.UnansweredHandshakeException) {
				return cause.getMessage();
			}
			if (cause instanceof AbortedException) {
				return "connection closed before the request was sent";
			}
			if (cause instanceof IOException && mentions(cause, "reset")) {
				return "connection reset";
			}
		}
		return failure.getClass().getSimpleName() + ((failure.getMessage() != null) ? ": " + failure.getMessage() : "");
	}

	private static String describeInvalidResponse(Throwable failure) {
		String reason = "invalid response: " + failure.getMessage();
		if (causedBy(failure, TooLongHttpHeaderException.class)) {
			return reason + " (raise spring.cloud.gateway.server.webflux.httpclient.max-header-size)";
		}
		if (causedBy(failure, TooLongHttpLineException.class)) {
			return reason + " (raise spring.cloud.gateway.server.webflux.httpclient.max-initial-line-length)";
		}
		return reason;
	}

	/**
	 * {@code unknown host backend.internal}, from the JDK's message (the name) or Netty's resolver's ({@code Failed
	 * to resolve 'backend.internal' [A(1), AAAA(28)] after 2 queries }), and whether the DNS server did not answer:
	 * a name that does not exist and a DNS server that is down call for different fixes.
	 */
	private static String describeUnknownHost(Throwable failure) {
		String message = String.valueOf(failure.getMessage()).strip();
		Matcher netty = NETTY_UNRESOLVED.matcher(message);
		String host = netty.lookingAt() ? netty.group(1) : message;
		return "unknown host " + host + (causedBy(failure, DnsNameResolverTimeoutException.class)
				? " (no answer from the DNS server)" : "");
	}

	private static String describeHandshake(Throwable failure) {
		if (causedBy(failure, CertPathBuilderException.class)) {
			return "TLS handshake failed: the backend's certificate is not trusted (trust it with "
					+ "spring.cloud.gateway.server.webflux.httpclient.ssl.trusted-x509-certificates)";
		}
		// The backend's alert when it requires a client certificate and got none, or one it does not trust.
		if (mentions(failure, "bad_certificate") || mentions(failure, "certificate_required")) {
			return "TLS handshake failed: the backend refused the balancer's client certificate or wants one ("
					+ failure.getMessage()
					+ "; set one with spring.cloud.gateway.server.webflux.httpclient.ssl.ssl-bundle)";
		}
		return "TLS handshake failed: " + failure.getMessage();
	}

	private static boolean mentions(Throwable failure, String word) {
		return failure.getMessage() != null && failure.getMessage().toLowerCase(Locale.ROOT).contains(word);
	}

}
