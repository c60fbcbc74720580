package dev.balancer.routing;

import io.netty.channel.ChannelHandler.Sharable;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.http2.Http2Exception;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import reactor.netty.channel.AbortedException;

import dev.balancer.metrics.ClientErrors;

/**
 * A client connection's HTTP/2 protocol errors, such as frames for a stream that does not exist: one INFO line
 * and a count ({@link ClientErrors}) each, where Netty handed them on to the end of the pipeline and logged each at
 * WARN with a stack trace of some 40 lines, so that any client sending malformed HTTP/2 could fill the log. Netty has
 * already answered the error by then (a {@code GOAWAY}, then the connection closed); nothing else is left to do. An error of one stream goes to
 * that stream instead ({@link ClientRequestHeads}). A connection the client reset, which Netty handed on the same
 * way with a WARN line each, is logged at DEBUG, as Reactor Netty logs an HTTP/1.1 client's.
 * <p>
 * Reactor Netty sets a connection up for HTTP/2 after it starts, once the client's choice is known (the TLS
 * handshake, or the first bytes in clear text), adding Netty's HTTP/2 handlers at the end of the pipeline. In clear
 * text the handler is at the end from the start, so that the multiplexer of streams comes after it; over TLS it is
 * added once the handshake chose HTTP/2, after the multiplexer ({@link ClientRequestHeads#install}). Either way it
 * sees the errors the multiplexer does not hand to a stream.
 */
@Sharable
final class Http2ConnectionErrors extends ChannelInboundHandlerAdapter {

	static final String HANDLER_NAME = "balancer.http2ConnectionErrors";

	private static final Http2ConnectionErrors INSTANCE = new Http2ConnectionErrors();

	/** The log of what is refused below Spring, with the lines of {@link ClientRequestHeads}. */
	private static final Log logger = LogFactory.getLog(ClientRequestHeads.class);

	/** The lines of connections closed for protocol errors, from every connection ({@link LogBudget}). */
	private static final LogBudget LINES = new LogBudget();

	private Http2ConnectionErrors() {
	}

	/** Adds the handler at the end of a client connection's pipeline, once. */
	static void addTo(ChannelPipeline pipeline) {
		if (pipeline.get(HANDLER_NAME) == null) {
			pipeline.addLast(HANDLER_NAME, INSTANCE);
		}
	}

	@Override
	public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
		if (AbortedException.isConnectionReset(cause)) {
			// the client's doing, as common as a phone losing its network: Reactor Netty logs HTTP/1.1's at DEBUG
			if (logger.isDebugEnabled()) {
				logger.debug("[" + ctx.channel().id().asShortText() + "] HTTP/2 connection from "
						+ ctx.channel().remoteAddress() + " reset by the client: " + cause.getMessage());
			}
			return;
		}
		if (!(cause instanceof Http2Exception) || cause instanceof Http2Exception.StreamException) {
			ctx.fireExceptionCaught(cause);
			return;
		}
		ClientErrors.refused(ClientErrors.Reason.HTTP2_PROTOCOL);
		if (logger.isInfoEnabled()) {
			LINES.info(logger, "[" + ctx.channel().id().asShortText() + "] HTTP/2 connection from "
					+ ctx.channel().remoteAddress() + " closed for a protocol error: "
					+ ClientRequestHeads.printable(cause.getMessage()));
		}
	}

}
