package dev.balancer.routing;

import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.ChannelPromise;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpStatusClass;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import reactor.netty.NettyPipeline;

/**
 * Answers HTTP/1.0 clients in HTTP/1.0's terms, which Reactor Netty does not; such clients are ApacheBench
 * ({@code ab}), {@code curl --http1.0}, and nginx's {@code proxy_pass} unless told otherwise.
 * <ul>
 * <li><b>A body of unknown length goes as it is, ended by the close of the connection.</b> Reactor Netty sent it
 * chunked, which RFC 9112 (6.1) forbids towards an HTTP/1.0 client and which such clients do not decode: {@code ab}
 * counted length errors, and with {@code -k} waited for an end of the body that never came.</li>
 * <li><b>A client that asks for {@code keep-alive} gets it, and is told so</b> ({@code Connection: keep-alive}), for
 * a response of known length, as nginx does. Reactor Netty closed the connection after a small response, and after
 * a larger one kept it open without saying so: an HTTP/1.0 client, which takes a response without
 * {@code keep-alive} to end with the connection, waited for the close ({@code ab -k} timed out).</li>
 * </ul>
 * Added by {@link Http1Exchanges} to a connection when its first HTTP/1.0 request comes, after Reactor Netty's
 * HTTP/1.1 traffic handler, which then sees the response as changed here and keeps the connection or closes it
 * accordingly; HTTP/1.1 connections never pass through it. Reactor Netty answers one request at a time: a response
 * that goes out answers the request that last came through.
 */
final class Http10Responses extends ChannelDuplexHandler {

	/** Name of the handler in the pipeline of a client connection that has had an HTTP/1.0 request. */
	static final String HANDLER_NAME = "balancer.http10Responses";

	/** The request being answered is HTTP/1.0. */
	private boolean http10;

	/** The request being answered asks for {@code keep-alive}. */
	private boolean keepAlive;

	/** The request being answered is a {@code HEAD}: its response has no body to frame. */
	private boolean head;

	/** A {@code 101} went out: the connection speaks another protocol now. */
	private boolean switched;

	/** Adds the handler to a client connection after Reactor Netty's HTTP/1.1 traffic handler, unless it is there. */
	static void addTo(ChannelPipeline pipeline) {
		if (pipeline.get(HANDLER_NAME) == null && pipeline.get(NettyPipeline.HttpTrafficHandler) != null) {
			pipeline.addAfter(NettyPipeline.HttpTrafficHandler, HANDLER_NAME, new Http10Responses());
		}
	}

	@Override
	public void channelRead(ChannelHandlerContext ctx, Object msg) {
		if (!this.switched && msg instanceof HttpRequest request) {
			this.http10 = HttpVersion.HTTP_1_0.equals(request.protocolVersion());
			this.keepAlive = HttpUtil.isKeepAlive(request);
			this.head = HttpMethod.HEAD.equals(request.method());
		}
		ctx.fireChannelRead(msg);
	}

	@Override
	public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
		if (!this.switched && this.http10 && msg instanceof HttpResponse response) {
			frame(response);
		}
		ctx.write(msg, promise);
	}

	private void frame(HttpResponse response) {
		HttpResponseStatus status = response.status();
		if (status.code() == HttpResponseStatus.SWITCHING_PROTOCOLS.code()) {
			this.switched = true;
			return;
		}
		if (status.codeClass() == HttpStatusClass.INFORMATIONAL) {
			return;
		}
		boolean body = !this.head && status.code() != HttpResponseStatus.NO_CONTENT.code()
				&& status.code() != HttpResponseStatus.NOT_MODIFIED.code();
		if (HttpUtil.isTransferEncodingChunked(response)) {
			response.headers().remove(HttpHeaderNames.TRANSFER_ENCODING);
			if (response instanceof FullHttpResponse full) {
				if (body) {
					HttpUtil.setContentLength(response, full.content().readableBytes());
				}
			}
			else if (body) {
				HttpUtil.setKeepAlive(response, false); // the end of the connection ends the body
				return;
			}
		}
		if (this.keepAlive && !response.headers()
			.containsValue(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE, true)) {
			response.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.KEEP_ALIVE);
		}
	}

}
