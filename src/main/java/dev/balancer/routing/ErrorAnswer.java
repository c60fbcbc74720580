package dev.balancer.routing;

import org.jspecify.annotations.Nullable;

import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.web.server.ResponseStatusException;

/**
 * The balancer's own answer to a request it could not serve, such as the 503 when no backend is healthy or the 405
 * to a TRACE: a
 * {@link ResponseStatusException}, which {@code JsonErrorHandler} sends as the JSON body, without a stack trace.
 * <p>
 * These answers are expected outcomes, logged in one line where they arise and never with a trace. Each took a
 * stack trace all the same, deep in reactive operators, and on its way out the Reactor checkpoint
 * that Spring WebFlux puts on every web filter's result turned that trace into {@link StackTraceElement}s: the
 * largest single item in a profile of a balancer answering 503s with every backend down (docs/performance-log.md,
 * "The balancer's own answers"). An outage is when clients retry hardest, so its answers should cost least.
 */
final class ErrorAnswer extends ResponseStatusException {

	private static final String BROKE_OFF = "The backend's response broke off (";

	private static final HttpHeaders CLOSE = HttpHeaders.readOnlyHttpHeaders(header(HttpHeaders.CONNECTION, "close"));

	/** Headers of the answer, such as {@code Connection: close}; none when {@code null}. */
	private final @Nullable HttpHeaders headers;

	private ErrorAnswer(HttpStatus status, String reason, @Nullable Throwable cause, @Nullable HttpHeaders headers) {
		super(status, reason, cause);
		this.headers = headers;
	}

	/** An answer with this status and message. */
	static ErrorAnswer of(HttpStatus status, String reason) {
		return new ErrorAnswer(status, reason, null, null);
	}

	/** An answer with this status and message, for a failure with this cause. */
	static ErrorAnswer of(HttpStatus status, String reason, Throwable cause) {
		return new ErrorAnswer(status, reason, cause, null);
	}

	/** The 502 for a backend's response that broke off before any of it went to the client, naming the fault. */
	static ErrorAnswer responseBrokeOff(Throwable failure) {
		return of(HttpStatus.BAD_GATEWAY, BROKE_OFF + UpstreamFailure.describe(failure) + ")", failure);
	}

	/** Whether this is the 502 of {@link #responseBrokeOff}. */
	boolean isResponseBrokeOff() {
		String reason = getReason();
		return getStatusCode().value() == 502 && reason != null && reason.startsWith(BROKE_OFF);
	}

	/** An answer that asks the client to close the connection ({@code Connection: close}). */
	static ErrorAnswer closing(HttpStatus status, String reason) {
		return new ErrorAnswer(status, reason, null, CLOSE);
	}

	/**
	 * The 405 for a method the balancer does not proxy, as Spring's {@code MethodNotAllowedException} words it,
	 * with the methods it does in {@code Allow}.
	 *
	 * @param method the method refused
	 * @param allow the {@code Allow} header's value, such as {@code GET,HEAD,POST}
	 */
	static ErrorAnswer methodNotAllowed(String method, String allow) {
		return new ErrorAnswer(HttpStatus.METHOD_NOT_ALLOWED, "Request method '" + method + "' is not supported.",
				null, HttpHeaders.readOnlyHttpHeaders(header(HttpHeaders.ALLOW, allow)));
	}

	@Override
	public HttpHeaders getHeaders() {
		return (this.headers != null) ? this.headers : super.getHeaders();
	}

	/** No stack trace: see the class description. */
	@Override
	public synchronized Throwable fillInStackTrace() {
		return this;
	}

	private static HttpHeaders header(String name, String value) {
		HttpHeaders headers = new HttpHeaders();
		headers.set(name, value);
		return headers;
	}

}
