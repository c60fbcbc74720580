package dev.balancer.routing;

import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.ChannelPromise;
import io.netty.handler.codec.DecoderResult;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.handler.timeout.IdleStateHandler;
import io.netty.util.ReferenceCountUtil;
import org.jspecify.annotations.Nullable;
import reactor.netty.ChannelPipelineConfigurer;
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
 * the balancer itself: the client got a 500 and the log a stack trace, where a 502 is the answer. So is a head
 * whose transfer codings are other than {@code chunked} alone, as nginx has it: Netty reads a
 * {@code gzip, chunked} body as chunked and nothing more, and the client got the compressed bytes as the body,
 * the coding unsaid. And a body Netty cannot decode (a chunk size that is no number), which gave a 500 and a stack
 * trace as well. And a status code that is not three digits ({@code 99}, {@code 1000}), which Netty reads
 * but Spring refuses, with a 500 and a stack trace; a code from 600 to 999 is passed on, as nginx does, since
 * RFC 9110 asks clients to take it for a 5xx.</li>
 * <li><b>A backend that falls silent in the middle of its response is cut off</b> after the read timeout
 * ({@code balancer.timeouts.read}), as nginx's {@code proxy_read_timeout} does: Netty's {@link IdleStateHandler}
 * in front of this handler tells of the silence, and the response fails with a {@link StalledResponseException}.
 * Before, every timeout ended with the response's head, and a backend that sent a head and part of its body and
 * then nothing held the client for as long as the backend kept the connection open; a short body is held back
 * until complete, so that client had received nothing at all. The wait for the head is
 * {@code balancer.timeouts.response}'s, and a WebSocket session after a 101 is never cut: the idle detector is
 * taken out of the connection. (Reactor Netty's own {@code responseTimeout} would time the wait for the head as
 * well, and cut a response timeout set longer than the read timeout.) When the balancer was not reading at all,
 * because its client took none of the response, the silence is the client's: a {@link StalledClientException}.</li>
 * <li><b>Bytes after the end of a response close the connection</b> instead of reaching the next request sent on
 * it ({@link ExcessResponseBytes}, in front of the codec, which this handler tells where each response
 * ends).</li>
 * </ul>
 * One instance per connection: it remembers whether the rest of a skipped response is still to come, and which
 * response is being read.
 */
public final class BackendResponseHeads extends ChannelDuplexHandler {

	/** Name of the handler in the pipeline of every backend connection. */
	public static final String HANDLER_NAME = "balancer.backendResponseHeads";

	/** Name of Netty's idle-read detector, right before it. */
	public static final String IDLE_HANDLER_NAME = "balancer.backendReadIdle";

	private final Duration readTimeout;

	private final Runnable onStall;

	private final Runnable onClientStall;

	private final ExcessResponseBytes excess;

	private boolean skipping;

	private boolean reading;

	/** Whether this read held only what this handler drops (informational responses): nothing to ask for more. */
	private boolean droppedOnly;

	/** Whether the request last sent asked for an upgrade, the only request a 101 may answer. */
	private boolean upgradeAsked;

	/** The final response being read, until its end. */
	private @Nullable HttpResponse response;

	BackendResponseHeads(Duration readTimeout, Runnable onStall, Runnable onClientStall, ExcessResponseBytes excess) {
		this.readTimeout = readTimeout;
		this.onStall = onStall;
		this.onClientStall = onClientStall;
		this.excess = excess;
	}

	/**
	 * Adds an idle-read detector and a new instance right after the HTTP/1.1 codec of each new backend connection;
	 * a {@code ChannelPipelineConfigurer} for the backend client, which Reactor Netty runs after building its own
	 * pipeline. A connection without that codec (HTTP/2) is left as it is.
	 * @param readTimeout the longest silence from the backend while a response is read
	 * @param onStall told of each response cut off for its silence (it counts them)
	 * @param onClientStall told of each response cut off because its client took none of it
	 */
	public static ChannelPipelineConfigurer installer(Duration readTimeout, Runnable onStall,
			Runnable onClientStall) {
		return (observer, channel, remoteAddress) -> {
			ChannelPipeline pipeline = channel.pipeline();
			if (pipeline.get(NettyPipeline.HttpCodec) != null) {
				ExcessResponseBytes excess = new ExcessResponseBytes(
						ExcessResponseBytes.backend(pipeline, remoteAddress));
				pipeline.addBefore(NettyPipeline.HttpCodec, ExcessResponseBytes.HANDLER_NAME, excess);
				pipeline.addAfter(NettyPipeline.HttpCodec, IDLE_HANDLER_NAME,
						new IdleStateHandler(readTimeout.toNanos(), 0, 0, TimeUnit.NANOSECONDS));
				pipeline.addAfter(IDLE_HANDLER_NAME, HANDLER_NAME,
						new BackendResponseHeads(readTimeout, onStall, onClientStall, excess));
			}
		};
	}

	@Override
	public void channelRead(ChannelHandlerContext ctx, Object msg) {
		if (msg instanceof HttpResponse response) {
			DecoderResult decoded = response.decoderResult();
			String codings = decoded.isFailure() ? null : ClientRequestHeads.unsupportedCodings(response);
			if (decoded.isFailure()) {
				response.setDecoderResult(DecoderResult.failure(new InvalidResponseException(decoded.cause())));
			}
			else if (codings != null) {
				response.setDecoderResult(DecoderResult.failure(new InvalidResponseException(
						"its Transfer-Encoding is not supported: " + codings + " (only chunked is)")));
			}
			else if (response.status().code() < 100 || response.status().code() > 999) {
				response.setDecoderResult(DecoderResult.failure(new InvalidResponseException(
						"the status code is not three digits: " + response.status().code())));
			}
			else if (informational(response)) {
				this.skipping = !(msg instanceof LastHttpContent);
				drop(msg);
				return;
			}
			else if (response.status().code() == 101 && !this.upgradeAsked) {
				// Netty would take the connection for switched, pass its bytes on raw, and Reactor Netty would put
				// it back in the pool: the next request sent on it, another client's, had its answer never read.
				response.setDecoderResult(DecoderResult.failure(new InvalidResponseException(
						"101 Switching Protocols to a request that asked for no upgrade")));
			}
			else if (response.status().code() == 101) {
				if (ctx.pipeline().get(IDLE_HANDLER_NAME) != null) {
					ctx.pipeline().remove(IDLE_HANDLER_NAME);
				}
				if (ctx.pipeline().get(ExcessResponseBytes.HANDLER_NAME) != null) {
					ctx.pipeline().remove(ExcessResponseBytes.HANDLER_NAME);
				}
			}
			else {
				this.reading = !(msg instanceof LastHttpContent);
				// a 100 Continue is not the final response
				this.response = (response.status().code() >= 200) ? response : null;
			}
		}
		else if (this.skipping && msg instanceof HttpContent) {
			this.skipping = !(msg instanceof LastHttpContent);
			drop(msg);
			return;
		}
		else if (msg instanceof HttpContent content && content.decoderResult().isFailure()) {
			// a body Netty could not decode (a chunk size that is no number): the end of the response, and the
			// backend's fault as a head's is, where Netty's cause reached the client as a 500 and a stack trace
			Throwable cause = content.decoderResult().cause();
			content.setDecoderResult(DecoderResult.failure(new InvalidResponseException(cause)));
			this.reading = false;
			this.response = null; // Netty skips the rest of the read: nothing to look at after it
		}
		else if (msg instanceof LastHttpContent) {
			this.reading = false;
		}
		if (msg instanceof LastHttpContent && this.response != null) {
			this.excess.responseEnded(ctx.channel(), this.response);
			this.response = null;
		}
		this.droppedOnly = false;
		ctx.fireChannelRead(msg);
	}

	private void drop(Object msg) {
		this.droppedOnly = true;
		ReferenceCountUtil.release(msg);
	}

	/**
	 * Asks for the next read after one that held only informational responses (a 103 Early Hints in a packet of its
	 * own, its 200 to come). Reactor Netty reads a backend's connection as its response is taken, and it was handed
	 * nothing here: the final response stayed unread, and the client got a 504 at the response timeout.
	 */
	@Override
	public void channelReadComplete(ChannelHandlerContext ctx) {
		if (this.droppedOnly) {
			this.droppedOnly = false;
			if (!ctx.channel().config().isAutoRead()) {
				ctx.read();
			}
		}
		ctx.fireChannelReadComplete();
	}

	@Override
	public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
		if (msg instanceof HttpRequest sent) {
			this.excess.requestSent(sent);
			this.upgradeAsked = sent.headers().contains(HttpHeaderNames.UPGRADE);
		}
		ctx.write(msg, promise);
	}

	@Override
	public void userEventTriggered(ChannelHandlerContext ctx, Object event) {
		if (!(event instanceof IdleStateEvent)) {
			ctx.fireUserEventTriggered(event);
			return;
		}
		// Silence while no response is being read is the pool's or the response timeout's business.
		if (!this.reading) {
			return;
		}
		this.reading = false;
		if (ctx.channel().config().isAutoRead()) {
			this.onStall.run();
			ctx.fireExceptionCaught(new StalledResponseException(this.readTimeout));
		}
		else {
			// Reactor Netty stops reading while the client takes none of what it was sent: the silence is the
			// client's. Cut off all the same, as nginx's send_timeout does, but not blamed on the backend.
			this.onClientStall.run();
			ctx.fireExceptionCaught(new StalledClientException(this.readTimeout));
		}
		ctx.close();
	}

	private static boolean informational(HttpResponse response) {
		int code = response.status().code();
		return code > 101 && code < 200;
	}

	/** A backend fell silent in the middle of its response for the read timeout. */
	public static final class StalledResponseException extends IOException {

		StalledResponseException(Duration readTimeout) {
			super("the backend sent nothing for " + seconds(readTimeout) + " in the middle of its response");
		}

	}

	/**
	 * A client took none of a response for the read timeout, so none of it was read from the backend; the client's
	 * doing ({@link UpstreamFailure#CLIENT_TIMEOUT}).
	 */
	public static final class StalledClientException extends IOException {

		StalledClientException(Duration readTimeout) {
			super("the client took none of the response for " + seconds(readTimeout));
		}

	}

	private static String seconds(Duration timeout) {
		return (timeout.toMillis() % 1000 == 0) ? timeout.toSeconds() + " s" : timeout.toMillis() + " ms";
	}

	/**
	 * A backend's response head that could not be read as HTTP; {@link UpstreamFailure#INVALID_RESPONSE}. The
	 * message is Netty's, such as {@code HTTP header is larger than 8192 bytes.}, but for a status code that is not
	 * a number, which Netty reports in the words of {@link Integer#parseInt} ({@code For input string: "abc"}).
	 */
	public static final class InvalidResponseException extends RuntimeException {

		private static final String PARSE_INT_PREFIX = "For input string: ";

		public InvalidResponseException(Throwable cause) {
			super(message(cause), cause);
		}

		InvalidResponseException(String message) {
			super(message);
		}

		private static String message(Throwable cause) {
			String message = cause.getMessage();
			if (cause instanceof NumberFormatException && message != null && message.startsWith(PARSE_INT_PREFIX)) {
				// Netty parses the status line's code with Integer.parseInt; nothing else in a head is read so
				return "the status code is not a number: "
						+ ClientRequestHeads.printable(message.substring(PARSE_INT_PREFIX.length()));
			}
			return message;
		}

	}

}
