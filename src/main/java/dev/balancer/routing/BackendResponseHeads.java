package dev.balancer.routing;

import java.net.SocketAddress;

import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.DecoderResult;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;
import org.jspecify.annotations.Nullable;
import reactor.netty.ConnectionObserver;
import reactor.netty.NettyPipeline;

/**
 * What Reactor Netty's client is handed of the response heads a backend sends, on backend connections: the
 * final response, with two changes.
 * <ul>
 * <li><b>Informational responses are read past</b> (102 Processing, 103 Early Hints, any 1xx but 100 Continue and
 * 101 Switching Protocols). Reactor Netty's client skips a 100 only, and took any other 1xx for the response: the
 * client got the 103's head, the backend's real response was dropped, and the client waited for it until its own
 * timeout. Passing the hints on would need a write on the client's connection that neither Spring nor the gateway
 * offers; browsers use early hints only over HTTP/2 or HTTP/3, and the balancer serves its clients HTTP/1.1 unless
 * {@code server.http2.enabled} is set. A 100 and a 101 stay Reactor Netty's: it waits past the first and hands the
 * second to the WebSocket upgrade.</li>
 * <li><b>A head that Netty could not decode is marked as the backend's fault</b> ({@link InvalidResponseException}):
 * a malformed status line or header, or a head over the client's size limits. Netty's own cause, an
 * {@code IllegalArgumentException} or a {@code TooLongFrameException}, reached the failover filter as an error of
 * the balancer itself: the client got a 500 and the log a stack trace, where a 502 is the answer.</li>
 * </ul>
 * One instance per connection: it remembers whether the rest of a skipped response is still to come.
 */
public final class BackendResponseHeads extends ChannelInboundHandlerAdapter {

	/** Name of the handler in the pipeline of every backend connection. */
	public static final String HANDLER_NAME = "balancer.backendResponseHeads";

	private boolean skipping;

	/**
	 * Adds a new instance right after the HTTP/1.1 codec of a new backend connection; a
	 * {@code ChannelPipelineConfigurer} for the backend client, which Reactor Netty runs after building its own
	 * pipeline. A connection without that codec (HTTP/2) is left as it is.
	 */
	public static void install(ConnectionObserver observer, Channel channel, @Nullable SocketAddress remoteAddress) {
		if (channel.pipeline().get(NettyPipeline.HttpCodec) != null) {
			channel.pipeline().addAfter(NettyPipeline.HttpCodec, HANDLER_NAME, new BackendResponseHeads());
		}
	}

	@Override
	public void channelRead(ChannelHandlerContext ctx, Object msg) {
		if (msg instanceof HttpResponse response) {
			DecoderResult decoded = response.decoderResult();
			if (decoded.isFailure()) {
				response.setDecoderResult(DecoderResult.failure(new InvalidResponseException(decoded.cause())));
			}
			else if (informational(response)) {
				this.skipping = !(msg instanceof LastHttpContent);
				ReferenceCountUtil.release(msg);
				return;
			}
		}
		else if (this.skipping && msg instanceof HttpContent) {
			this.skipping = !(msg instanceof LastHttpContent);
			ReferenceCountUtil.release(msg);
			return;
		}
		ctx.fireChannelRead(msg);
	}

	private static boolean informational(HttpResponse response) {
		int code = response.status().code();
		return code > 101 && code < 200;
	}

	/**
	 * A backend's response head that could not be read as HTTP; {@link UpstreamFailure#INVALID_RESPONSE}. The
	 * message is Netty's, such as {@code HTTP header is larger than 8192 bytes.}
	 */
	public static final class InvalidResponseException extends RuntimeException {

		public InvalidResponseException(Throwable cause) {
			super(cause.getMessage(), cause);
		}

	}

}
