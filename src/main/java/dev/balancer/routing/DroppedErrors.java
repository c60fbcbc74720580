package dev.balancer.routing;

import java.util.concurrent.atomic.AtomicBoolean;

import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import reactor.core.publisher.Hooks;

import dev.balancer.metrics.BufferMemory;

/**
 * Errors that come after the operation they belong to has ended (Reactor's "dropped" errors). Without a hook
 * Reactor logs each at ERROR, with its stack trace. When Netty runs out of buffer memory that is many of them
 * for one cause: on epoll, a connection whose read finds no memory between two requests fails where nothing
 * listens (Netty then closes it, and the client sees a reset), and so does a read or write after its request was
 * answered (a 503 for the body, say). Those are counted ({@link BufferMemory}) and logged here as one WARN line
 * each, within a {@link LogBudget}; every other dropped error is logged as Reactor does, under Reactor's logger
 * name and message, so that log filters set for it still apply.
 * <p>
 * Reactor's hook is the JVM's and adds up when set again, so it is installed once.
 */
public final class DroppedErrors {

	private static final Log reactorLogger = LogFactory.getLog("reactor.core.publisher.Operators");

	private static final Log logger = LogFactory.getLog(DroppedErrors.class);

	private static final LogBudget OUT_OF_MEMORY_LINES = new LogBudget();

	private static final AtomicBoolean installed = new AtomicBoolean();

	private DroppedErrors() {
	}

	/** Installs the hook, unless installed already. */
	public static void install() {
		if (installed.compareAndSet(false, true)) {
			Hooks.onErrorDropped(DroppedErrors::dropped);
		}
	}

	static void dropped(Throwable error) {
		OutOfBufferMemoryException noMemory = OutOfBufferMemoryException.of(error);
		if (noMemory == null) {
			reactorLogger.error("Operator called default onErrorDropped", error);
		}
		else {
			BufferMemory.ranOut(BufferMemory.Shortage.CONNECTION);
			if (logger.isWarnEnabled()) {
				OUT_OF_MEMORY_LINES.warn(logger,
						"A connection found no buffer memory outside a request's exchange: " + noMemory.getMessage());
			}
		}
	}

}
