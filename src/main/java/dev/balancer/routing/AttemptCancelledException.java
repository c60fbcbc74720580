package dev.balancer.routing;

import java.time.Duration;

/**
 * Why an attempt was called off while it waited for the backend's response: the request timeout expired, or the
 * client went away. The load-balancer filter reports it to the lifecycle beans as the attempt's failure
 * ({@link ExactUrlLoadBalancerClientFilter}); no client sees it.
 */
public final class AttemptCancelledException extends RuntimeException {

	private final boolean requestTimeout;

	private AttemptCancelledException(String message, boolean requestTimeout) {
		super(message, null, false, false);
		this.requestTimeout = requestTimeout;
	}

	/** The request timeout expired while the backend had not begun to answer: the backend's failure. */
	static AttemptCancelledException ofRequestTimeout(Duration timeout) {
		return new AttemptCancelledException(
				"no response within the request timeout of " + timeout.toMillis() + " ms", true);
	}

	/**
	 * The client closed its connection, or reset its HTTP/2 stream, before the backend began to answer. Not the
	 * backend's failure, though a backend slower than its clients' patience shows up as many of these.
	 */
	static AttemptCancelledException ofClientGone() {
		return new AttemptCancelledException("the client went away while waiting for the response", false);
	}

	/** Whether the request timeout called the attempt off, rather than the client. */
	public boolean isRequestTimeout() {
		return this.requestTimeout;
	}

}
