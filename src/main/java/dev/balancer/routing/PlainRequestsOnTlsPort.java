package dev.balancer.routing;

import java.net.SocketAddress;
import java.util.List;

import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.ByteToMessageDecoder;
import io.netty.handler.codec.http.HttpResponseEncoder;
import io.netty.handler.ssl.SslHandler;
import org.jspecify.annotations.Nullable;
import reactor.netty.ConnectionObserver;
import reactor.netty.NettyPipeline;

import dev.balancer.metrics.ClientErrors;

import org.springframework.http.HttpStatus;

/**
 * Answers a client that speaks plain HTTP to the port that takes TLS ({@code server.ssl.*}) in plain HTTP: a
 * {@code 400} with the balancer's JSON error saying to use {@code https://}, and the connection closed, as nginx
 * answers "The plain HTTP request was sent to HTTPS port". Netty's TLS handler closed the connection without a
 * word, and curl said "Empty reply from server".
 * <p>
 * Sits in front of the TLS handler until the first bytes come: a TLS record takes it out of the way. Reactor Netty
 * can redirect such a client to {@code https://} instead, but not where the server also offers HTTP/2.
 */
public final class PlainRequestsOnTlsPort extends ByteToMessageDecoder {

	static final String HANDLER_NAME = "balancer.plainRequestsOnTlsPort";

	/** What {@link SslHandler#isEncrypted} needs to tell: a TLS record's header. */
	private static final int RECORD_HEADER_LENGTH = 5;

	/** Whether the client was answered: what it sends until its connection is closed is dropped. */
	private boolean answered;

	private PlainRequestsOnTlsPort() {
	}

	/** Adds the handler in front of the TLS handler of a new client connection, where there is one. */
	public static void install(ConnectionObserver observer, Channel channel, @Nullable SocketAddress remoteAddress) {
		if (channel.pipeline().get(NettyPipeline.SslHandler) != null) {
			channel.pipeline().addBefore(NettyPipeline.SslHandler, HANDLER_NAME, new PlainRequestsOnTlsPort());
		}
	}

	@Override
	protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
		if (this.answered) {
			in.skipBytes(in.readableBytes());
			return;
		}
		if (in.readableBytes() < RECORD_HEADER_LENGTH) {
			return;
		}
		if (SslHandler.isEncrypted(in, false)) {
			ctx.pipeline().remove(this); // what was read goes on to the TLS handler
			return;
		}
		in.skipBytes(in.readableBytes());
		this.answered = true;
		ClientErrors.refused(ClientErrors.Reason.PLAIN_HTTP);
		ctx.channel().config().setAutoRead(false);
		// Nothing in front of the TLS handler speaks HTTP: an encoder for this one answer
		ctx.pipeline().addBefore(ctx.name(), null, new HttpResponseEncoder());
		ctx.writeAndFlush(ClientRequestHeads.jsonError(HttpStatus.BAD_REQUEST,
				"The request was sent without TLS to a port that takes TLS: use https://"))
			.addListener(ChannelFutureListener.CLOSE);
	}

}
