package dev.balancer.routing;

import java.net.SocketAddress;

import javax.net.ssl.SSLException;

import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.ssl.SslHandshakeCompletionEvent;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.jspecify.annotations.Nullable;
import reactor.netty.ConnectionObserver;
import reactor.netty.NettyPipeline;

import dev.balancer.metrics.ClientErrors;

/**
 * Closes a client connection whose TLS handshake failed without a WARN line: logged at DEBUG, as Reactor Netty logs
 * it where the server does not offer HTTP/2, and counted ({@link ClientErrors}).
 * <p>
 * With {@code server.http2.enabled} over TLS, Netty's protocol negotiation (ALPN) follows the TLS handler, and logged
 * every failed handshake at WARN with a stack trace ({@code TLS handshake failed:}, {@code Failed to select the
 * application-level protocol:}): a scanner, or any client that does not speak TLS well, could fill the log. Sits
 * right after the TLS handler until the handshake is done, and takes the failure before the negotiation sees it.
 */
public final class TlsHandshakeFailures extends ChannelInboundHandlerAdapter {

	static final String HANDLER_NAME = "balancer.tlsHandshakeFailures";

	private static final Log logger = LogFactory.getLog(TlsHandshakeFailures.class);

	/** Whether the handshake failed: Netty tells of it twice, as an error and as the handshake's end. */
	private boolean failed;

	private TlsHandshakeFailures() {
	}

	/** Adds the handler after the TLS handler of a new client connection, where there is one. */
	public static void install(ConnectionObserver observer, Channel channel, @Nullable SocketAddress remoteAddress) {
		if (channel.pipeline().get(NettyPipeline.SslHandler) != null) {
			channel.pipeline().addAfter(NettyPipeline.SslHandler, HANDLER_NAME, new TlsHandshakeFailures());
		}
	}

	@Override
	public void userEventTriggered(ChannelHandlerContext ctx, Object event) {
		if (event instanceof SslHandshakeCompletionEvent handshake) {
			if (!handshake.isSuccess()) {
				closeFor(ctx, handshake.cause());
				return;
			}
			ctx.pipeline().remove(this);
		}
		ctx.fireUserEventTriggered(event);
	}

	@Override
	public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
		if (cause instanceof SSLException || cause.getCause() instanceof SSLException) {
			closeFor(ctx, cause);
			return;
		}
		ctx.fireExceptionCaught(cause);
	}

	/**
	 * A connection closed in the middle of its handshake, with part of a TLS record sent: Netty tells no handler of it
	 * as a failed handshake, but nginx and HAProxy count it as one ("peer closed connection in SSL handshake").
	 */
	@Override
	public void channelInactive(ChannelHandlerContext ctx) {
		closeFor(ctx, null);
		ctx.fireChannelInactive();
	}

	private void closeFor(ChannelHandlerContext ctx, @Nullable Throwable cause) {
		// Until a TLS record comes, PlainRequestsOnTlsPort is in front of the TLS handler: a connection closed before
		// (a TCP health check, a port scan) or one that spoke plain HTTP (counted there) tried no handshake.
		if (!this.failed && ctx.pipeline().get(PlainRequestsOnTlsPort.HANDLER_NAME) == null) {
			this.failed = true;
			ClientErrors.refused(ClientErrors.Reason.TLS_HANDSHAKE);
			if (logger.isDebugEnabled()) {
				logger.debug("TLS handshake with " + ctx.channel().remoteAddress() + " failed: "
						+ ((cause != null) ? cause : "the connection closed in the middle of it"));
			}
		}
		ctx.close();
	}

}
