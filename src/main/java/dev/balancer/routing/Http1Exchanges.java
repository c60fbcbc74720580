package dev.balancer.routing;

import java.util.ArrayList;
import java.util.List;

import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandler.Sharable;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.ChannelPromise;
import io.netty.handler.codec.DecoderException;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpStatusClass;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.AsciiString;
import io.netty.util.ReferenceCountUtil;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.jspecify.annotations.Nullable;
import reactor.netty.NettyPipeline;
import reactor.netty.channel.ChannelOperations;

import dev.balancer.metrics.BufferMemory;

/**
 * Keeps the answers to the requests a client pipelines on an HTTP/1.1 connection (sends before the answers to
 * earlier ones) in the order of the requests, where Reactor Netty does not.
 * <ul>
 * <li><b>A pipelined request that ends the connection</b> ({@code Connection: close}, or HTTP/1.0 without
 * {@code keep-alive}) is answered in its turn, and the connection closed after its answer. Reactor Netty closed it
 * after the answer to the first request still open: the requests in between were never answered, and nothing was
 * logged. Requests after it are not read, as RFC 9112 (9.6) asks.</li>
 * <li><b>A pipelined request the balancer refuses itself</b> ({@link ClientRequestHeads}: not valid HTTP) is
 * answered after the answers to the requests before it, as RFC 9112 (9.3.2) asks of every answer. Its answer went
 * out at once, ahead of theirs: the client took it for the answer to its first request, and lost the rest.</li>
 * <li><b>A request body that stops being valid HTTP</b> (a chunk size that is no number, say) fails the body's
 * stream, so that the backend's connection is closed in the middle of the request and the client gets a 400
 * ({@link FailoverFilter}), and the connection ends after that answer: Netty decodes nothing after the fault.
 * Reactor Netty ended such a body as if it were complete: the backend got what came before the fault as the whole
 * body (a PUT stored a truncated file), and the client an empty 400 that the backend's answer then ran into, with
 * an ERROR and a stack trace; a request pipelined behind another got the backend's answer to its truncated body
 * and a connection that hung.</li>
 * </ul>
 * One per connection, between {@link ClientRequestHeads} and Reactor Netty's HTTP/1.1 traffic handler, which
 * answers one request at a time, in order: a response that goes out answers the oldest request still open. After a
 * switch of protocols ({@code 101}: WebSocket) it lets everything through. The first HTTP/1.0 request adds
 * {@link Http10Responses}.
 */
final class Http1Exchanges extends ChannelDuplexHandler {

	/** Name of the handler in the pipeline of every HTTP/1.x client connection. */
	static final String HANDLER_NAME = "balancer.http1Exchanges";

	private static final AsciiString CLOSE = HttpHeaderValues.CLOSE;

	private static final Log logger = LogFactory.getLog(Http1Exchanges.class);

	/** The lines of connections closed for a response that could not be sent ({@link LogBudget}). */
	private static final LogBudget UNWRITTEN_LINES = new LogBudget();

	/** Requests passed on. */
	private long taken;

	/** Requests whose final response has gone out whole. */
	private long answered;

	/** The number of the request that ends the connection, whose wish was hidden from Reactor Netty; or 0. */
	private long lastRequest;

	/** A request asked to end the connection: nothing after it is taken, its body excepted. */
	private boolean ending;

	/** The last request read was not taken: its body is dropped too. */
	private boolean droppingBody;

	/** A final response is on its way out, for the oldest open request. */
	private boolean answering;

	/** The connection closes once the response on its way out has ended. */
	private boolean closeAfterAnswer;

	/** A {@code 101} went out: the connection speaks another protocol now. */
	private boolean switched;

	/** {@link ClientRequestHeads}' answer to a refused request, waiting for the answers to those before it. */
	private @Nullable FullHttpResponse refusal;

	/** Adds a new handler to an HTTP/1.x client connection, after {@link ClientRequestHeads}. */
	static void addTo(ChannelPipeline pipeline) {
		pipeline.addBefore(NettyPipeline.HttpTrafficHandler, HANDLER_NAME, new Http1Exchanges());
		if (pipeline.get(NettyPipeline.ReactiveBridge) != null) {
			pipeline.addBefore(NettyPipeline.ReactiveBridge, MalformedBodies.HANDLER_NAME, MalformedBodies.INSTANCE);
		}
	}

	/**
	 * Sends {@link ClientRequestHeads}' answer to a request it refused, then closes the connection: at once, or after
	 * the answers to the requests read before it. {@code false}, and nothing sent, when the connection has no such
	 * handler (an HTTP/2 stream).
	 */
	static boolean answerInTurn(ChannelHandlerContext ctx, FullHttpResponse answer) {
		ChannelHandlerContext exchanges = ctx.pipeline().context(HANDLER_NAME);
		if (exchanges == null) {
			return false;
		}
		((Http1Exchanges) exchanges.handler()).answer(exchanges, answer);
		return true;
	}

	private void answer(ChannelHandlerContext ctx, FullHttpResponse answer) {
		if (this.ending) {
			answer.release(); // a request before it ends the connection, which takes no more requests
			return;
		}
		this.ending = true;
		if (this.taken == this.answered) {
			ctx.writeAndFlush(answer).addListener(ChannelFutureListener.CLOSE);
		}
		else {
			this.refusal = answer;
		}
	}

	@Override
	public void channelRead(ChannelHandlerContext ctx, Object msg) {
		if (this.switched) {
			ctx.fireChannelRead(msg);
			return;
		}
		if (msg instanceof HttpRequest request) {
			if (this.ending) {
				this.droppingBody = true;
				ReferenceCountUtil.release(msg);
				return;
			}
			this.droppingBody = false;
			this.taken++;
			if (HttpVersion.HTTP_1_0.equals(request.protocolVersion())) {
				Http10Responses.addTo(ctx.pipeline());
			}
			if (!HttpUtil.isKeepAlive(request)) {
				this.ending = true;
				if (this.taken > this.answered + 1) {
					// Reactor Netty would close after the answer to the first request still open
					keepAliveForReactorNetty(request);
					this.lastRequest = this.taken;
				}
			}
		}
		else if (msg instanceof HttpContent content) {
			if (this.droppingBody) {
				content.release();
				return;
			}
			if (content.decoderResult().isFailure()) {
				malformedBody(ctx, content);
				return;
			}
		}
		ctx.fireChannelRead(msg);
	}

	/**
	 * A part of the body of the request read last that Netty could not decode. It becomes a {@link MalformedBody},
	 * which Reactor Netty's traffic handler lets through to {@link MalformedBodies} once the request is served:
	 * at once, or after the answers to the requests pipelined before it. The connection ends after the answer to
	 * this request, or now if that has gone out already.
	 */
	private void malformedBody(ChannelHandlerContext ctx, HttpContent content) {
		String reason = ClientRequestHeads.printable(content.decoderResult().cause().getMessage());
		content.release();
		this.ending = true;
		this.lastRequest = this.taken;
		if (this.taken == this.answered) {
			ctx.close();
			return;
		}
		if (this.answering && this.answered + 1 == this.taken) {
			this.closeAfterAnswer = true; // the answer's head has gone out
		}
		ctx.fireChannelRead(new MalformedBody(reason));
	}

	@Override
	public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
		if (this.switched) {
			ctx.write(msg, promise);
			return;
		}
		writeInTurn(ctx, msg, promise);
		if (promise.isDone() && !promise.isSuccess() && ctx.channel().isActive()) {
			unwritten(ctx, promise.cause());
		}
	}

	private void writeInTurn(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
		if (msg instanceof HttpResponse response) {
			HttpResponseStatus status = response.status();
			if (status.code() == HttpResponseStatus.SWITCHING_PROTOCOLS.code()) {
				this.switched = true;
				ctx.write(msg, promise);
				return;
			}
			if (status.codeClass() == HttpStatusClass.INFORMATIONAL) {
				ctx.write(msg, promise); // 100 Continue: the final response is still to come
				return;
			}
			if (this.taken > this.answered) {
				this.answering = true;
				if (this.answered + 1 == this.lastRequest) {
					this.closeAfterAnswer = true;
					HttpUtil.setKeepAlive(response, false);
				}
			}
		}
		if (msg instanceof LastHttpContent && this.answering) {
			this.answering = false;
			this.answered++;
			if (this.closeAfterAnswer) {
				discardRefusal();
				ctx.write(msg, promise.unvoid()).addListener(ChannelFutureListener.CLOSE);
				return;
			}
			if (this.taken == this.answered && this.refusal != null) {
				FullHttpResponse answer = this.refusal;
				this.refusal = null;
				ctx.write(msg, promise);
				ctx.writeAndFlush(answer).addListener(ChannelFutureListener.CLOSE);
				return;
			}
		}
		ctx.write(msg, promise);
	}

	/**
	 * A part of a response failed on its way out, before it reached the connection: Netty's HTTP encoder found no
	 * buffer memory for it, say. The client can no longer tell where the response ends, so the connection is
	 * closed. Reactor Netty kept it for the next request when the failed part was a response's last: the client
	 * waited for the rest until the idle timeout, and nothing was logged above DEBUG. Parts Reactor Netty sends
	 * as a stream fail that stream instead, which ends the connection; this sees those only when the failure
	 * comes at once on a promise that can tell.
	 */
	private static void unwritten(ChannelHandlerContext ctx, @Nullable Throwable cause) {
		ctx.close();
		OutOfBufferMemoryException noMemory = (cause != null) ? OutOfBufferMemoryException.of(cause) : null;
		if (noMemory != null) {
			BufferMemory.ranOut(BufferMemory.Shortage.RESPONSE);
		}
		if (logger.isWarnEnabled()) {
			String reason = (noMemory != null) ? noMemory.getMessage()
					: (cause != null) ? String.valueOf(cause) : "unknown";
			UNWRITTEN_LINES.warn(logger, "[" + ctx.channel().id().asShortText() + "] closed the connection of "
					+ ctx.channel().remoteAddress() + ": a response could not be sent: " + reason);
		}
	}

	@Override
	public void handlerRemoved(ChannelHandlerContext ctx) {
		discardRefusal();
	}

	@Override
	public void channelInactive(ChannelHandlerContext ctx) {
		discardRefusal();
		ctx.fireChannelInactive();
	}

	/**
	 * Hides a request's wish to end the connection from Reactor Netty, which would act on it at once: the
	 * {@code close} option of HTTP/1.1 is taken out (the header's other options stay, naming headers the gateway
	 * drops), an HTTP/1.0 request gets {@code keep-alive}. Either way the connection ends after its answer, here.
	 */
	private static void keepAliveForReactorNetty(HttpRequest request) {
		HttpHeaders headers = request.headers();
		if (HttpVersion.HTTP_1_0.equals(request.protocolVersion())) {
			headers.add(HttpHeaderNames.CONNECTION, HttpHeaderValues.KEEP_ALIVE);
			return;
		}
		List<String> options = new ArrayList<>();
		for (String value : headers.getAll(HttpHeaderNames.CONNECTION)) {
			for (String option : value.split(",")) {
				String trimmed = option.trim();
				if (!trimmed.isEmpty() && !CLOSE.contentEqualsIgnoreCase(trimmed)) {
					options.add(trimmed);
				}
			}
		}
		headers.remove(HttpHeaderNames.CONNECTION);
		if (!options.isEmpty()) {
			headers.set(HttpHeaderNames.CONNECTION, String.join(", ", options));
		}
	}

	private void discardRefusal() {
		if (this.refusal != null) {
			this.refusal.release();
			this.refusal = null;
		}
	}

	/** What is passed on in place of a part of a request body that Netty could not decode. */
	record MalformedBody(String reason) {
	}

	/**
	 * Fails the body being read by the request now served with a {@link MalformedBody}'s reason: Reactor Netty
	 * ends the body's stream with it. Just before Reactor Netty's bridge to the request's exchange, so behind its
	 * traffic handler, which holds a pipelined request's parts until the request is served. A request answered
	 * without reading all of its body (a backend's early 413, say) has nothing to fail: its connection ends after
	 * the answer ({@link #malformedBody}).
	 */
	@Sharable
	static final class MalformedBodies extends ChannelInboundHandlerAdapter {

		static final String HANDLER_NAME = "balancer.malformedBodies";

		static final MalformedBodies INSTANCE = new MalformedBodies();

		@Override
		public void channelRead(ChannelHandlerContext ctx, Object msg) {
			if (!(msg instanceof MalformedBody body)) {
				ctx.fireChannelRead(msg);
				return;
			}
			ChannelOperations<?, ?> exchange = ChannelOperations.get(ctx.channel());
			if (exchange != null && !exchange.isInboundDisposed() && !exchange.isInboundCancelled()) {
				// An empty part first. While nothing reads the body yet (a fault in the first chunk, which came with
				// the head), Reactor Netty takes a failure with no part waiting before it for an uncaught one: it
				// logged it at ERROR with a stack trace and closed the connection, and the client got no answer.
				// Behind a part, the failure waits for the body's reader, who fails with it.
				ctx.fireChannelRead(new DefaultHttpContent(Unpooled.EMPTY_BUFFER));
				ctx.fireExceptionCaught(new DecoderException(body.reason()));
			}
		}

	}

}
