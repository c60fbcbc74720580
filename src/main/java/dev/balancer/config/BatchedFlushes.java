package dev.balancer.config;

import java.net.SocketAddress;

import io.netty.channel.Channel;
import io.netty.handler.flush.FlushConsolidationHandler;
import org.jspecify.annotations.Nullable;
import reactor.netty.ConnectionObserver;

/**
 * Sends what the balancer writes to a connection once its event loop has finished the round of reads it is in,
 * rather than with a system call of its own the moment each request or response is ready: Netty's
 * {@link FlushConsolidationHandler}, on client and on backend connections.
 * <p>
 * Why: under load an event loop reads many requests and responses in one round, and each write sent at once
 * wakes its receiver (a backend, a client) for that one message. Sent together at the end of the round, they
 * find a receiver awake for several. Measured at 10 ms backend delay and 256 connections: the balancer, the
 * backends and wrk each spent less CPU per request, on epoll and on io_uring (docs/performance-log.md, seventh round).
 * <p>
 * Nothing waits for more than the rest of that round: a flush made while the connection itself is reading goes
 * out when the read completes, any other in a task the event loop runs right after its I/O. A streamed body
 * therefore still goes out piece by piece.
 */
final class BatchedFlushes {

	/** Name of the handler in the pipeline of every client and backend connection. */
	static final String HANDLER_NAME = "balancer.batchedFlushes";

	private BatchedFlushes() {
	}

	/** Adds the handler to a new connection; a {@code ChannelPipelineConfigurer} for server and client. */
	static void install(ConnectionObserver observer, Channel channel, @Nullable SocketAddress remoteAddress) {
		channel.pipeline().addFirst(HANDLER_NAME,
				new FlushConsolidationHandler(FlushConsolidationHandler.DEFAULT_EXPLICIT_FLUSH_AFTER_FLUSHES, true));
	}

}
