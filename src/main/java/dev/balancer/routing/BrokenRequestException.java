package dev.balancer.routing;

import java.io.IOException;

import reactor.netty.channel.AbortedException;

/**
 * The client's request body failed on its way in: the client closed the connection in the middle of it, or sent
 * a body that is not valid HTTP. Marks the failure as the client's, so that it is not taken for the backend's:
 * Reactor Netty reports a client gone mid-upload with the same {@link AbortedException} as a backend connection
 * closed before the request was sent.
 */
public final class BrokenRequestException extends RuntimeException {

	public BrokenRequestException(Throwable cause) {
		super(describe(cause), cause, false, false);
	}

	private static String describe(Throwable cause) {
		if (cause instanceof AbortedException || cause instanceof IOException) {
			return "the client closed the connection in the middle of its request body";
		}
		return "the client's request body is not valid: " + cause.getMessage();
	}

}
