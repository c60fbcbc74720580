package dev.balancer.routing;

import org.jspecify.annotations.Nullable;

import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.web.server.ResponseStatusException;

/**
 * The balancer's own answer to a request it could not serve, such as the 503 when no backend is healthy: a
 * {@link ResponseStatusException}, which {@code JsonErrorHandler} sends as the JSON body, without a stack trace.
 * <p>
 * These answers are expected outcomes, logged in one line where they arise and never with a trace. Each took a
 * stack trace all the same, deep in reactive operators, and on its way out the Reactor checkpoint
 * that Spring WebFlux puts on every web filter's result turned that trace into {@link StackTraceElement}s: the
 * largest single item in a profile of a balancer answering 503s with every backend down (docs/performance.md).
 * An outage is when clients retry hardest, so its answers should cost least.
 */
final class ErrorAnswer extends ResponseStatusException {

	private static final HttpHeaders CLOSE = HttpHeaders.readOnlyHttpHeaders(closing());

	private final boolean closesConnection;

	private ErrorAnswer(HttpStatus status, String reason, @Nullable Throwable cause, boolean closesConnection) {
		super(status, reason, cause);
		this.closesConnection = closesConnection;
	}

	/** An answer with this status and message. */
	static ErrorAnswer of(HttpStatus status, String reason) {
		return new ErrorAnswer(status, reason, null, false);
	}

	/** An answer with this status and message, for a failure with this cause. */
	static ErrorAnswer of(HttpStatus status, String reason, Throwable cause) {
		return new ErrorAnswer(status, reason, cause, false);
	}

	/** An answer that asks the client to close the connection ({@code Connection: close}). */
	static ErrorAnswer closing(HttpStatus status, String reason) {
		return new ErrorAnswer(status, reason, null, true);
	}

	@Override
	public HttpHeaders getHeaders() {
		return this.closesConnection ? CLOSE : super.getHeaders();
	}

	/** No stack trace: see the class description. */
	@Override
	public synchronized Throwable fillInStackTrace() {
		return this;
	}

	private static HttpHeaders closing() {
		HttpHeaders headers = new HttpHeaders();
		headers.set(HttpHeaders.CONNECTION, "close");
		return headers;
	}

}
