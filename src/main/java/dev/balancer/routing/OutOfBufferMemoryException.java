package dev.balancer.routing;

import org.jspecify.annotations.Nullable;

/**
 * Netty found no buffer memory to read a request's body into: its allocator's {@link OutOfMemoryError} (Netty's
 * {@code OutOfDirectMemoryError}), which Reactor Netty hands on as the body's failure, wrapped or not. Marks the
 * failure as the balancer's, so that the client's body is not taken for a broken one; and carries it as an
 * exception, since Reactor throws a bare JVM error where it meets one instead of passing it on.
 */
public final class OutOfBufferMemoryException extends RuntimeException {

	private OutOfBufferMemoryException(OutOfMemoryError cause) {
		super("out of buffer memory: " + cause.getMessage(), cause, false, false);
	}

	/** The exception for a failure that an {@link OutOfMemoryError} caused, or {@code null} for any other. */
	static @Nullable OutOfBufferMemoryException of(Throwable failure) {
		OutOfMemoryError noMemory = UpstreamFailure.cause(failure, OutOfMemoryError.class);
		return (noMemory != null) ? new OutOfBufferMemoryException(noMemory) : null;
	}

}
