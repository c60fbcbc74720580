package dev.balancer.routing;

import io.netty.channel.ChannelHandler.Sharable;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http2.Http2CodecUtil;
import io.netty.util.AsciiString;
import reactor.netty.ChannelPipelineConfigurer;
import reactor.netty.NettyPipeline;

/**
 * Requests that ask to upgrade to HTTP/2 in clear text ({@code Upgrade: h2c}, what {@code curl --http2} sends with
 * an {@code http://} URL) and carry a body larger than Netty's upgrade handler holds
 * ({@code server.netty.h2c-max-content-length}, none by default) are served on HTTP/1.1: their {@code Upgrade}
 * header is taken out before the upgrade handler reads them. Netty answered each with an empty {@code 413 Request
 * Entity Too Large} and the request was lost: with {@code server.http2.enabled}, every {@code curl --http2 -d ...}
 * failed. RFC 9110 (7.8) lets a server ignore an upgrade, and nginx, which has no upgrade to h2c, serves such
 * requests on HTTP/1.1 too; the client's next requests on the connection may ask again. A body of unknown length
 * (chunked) is served on HTTP/1.1 as well, since it may be larger, and so is a request that is not valid HTTP, to be
 * refused there.
 * <p>
 * Requests asking to upgrade to another protocol with such a body got the same 413, and are served on HTTP/1.1 the
 * same way.
 * <p>
 * Only where the server offers h2c ({@code server.http2.enabled} without TLS); neither Reactor Netty nor Spring Boot
 * has an option for it.
 */
@Sharable
public final class H2cUpgradeRequests extends ChannelInboundHandlerAdapter {

	private static final String HANDLER_NAME = "balancer.h2cUpgradeRequests";

	private static final AsciiString H2C = AsciiString.cached("h2c");

	private final long maxContentLength;

	private H2cUpgradeRequests(long maxContentLength) {
		this.maxContentLength = maxContentLength;
	}

	/**
	 * Adds the handler to each new client connection where clients may upgrade to h2c, between Netty's HTTP/1.1 codec
	 * and its upgrade handler, both of which Reactor Netty adds under names of Netty's.
	 * @param maxContentLength the largest body an upgrade request may carry, {@code server.netty.h2c-max-content-length}
	 */
	public static ChannelPipelineConfigurer installer(long maxContentLength) {
		H2cUpgradeRequests handler = new H2cUpgradeRequests(maxContentLength);
		return (observer, channel, remoteAddress) -> {
			ChannelPipeline pipeline = channel.pipeline();
			if (pipeline.get(NettyPipeline.H2CUpgradeHandler) == null) {
				return;
			}
			ChannelHandlerContext codec = pipeline.context(HttpServerCodec.class);
			if (codec != null) {
				pipeline.addAfter(codec.name(), HANDLER_NAME, handler);
			}
		};
	}

	@Override
	public void channelRead(ChannelHandlerContext ctx, Object msg) {
		if (msg instanceof HttpRequest request && servedOnHttp11(request)) {
			request.headers()
				.remove(HttpHeaderNames.UPGRADE)
				.remove(Http2CodecUtil.HTTP_UPGRADE_SETTINGS_HEADER);
		}
		ctx.fireChannelRead(msg);
	}

	/**
	 * Whether the request asks for h2c but stays on HTTP/1.1: a body the upgrade handler would refuse, or might, or a
	 * request that is not valid HTTP or has no valid {@code Host}, which {@link ClientRequestHeads} then refuses on
	 * HTTP/1.1. Upgraded, such a request reached Spring on HTTP/2: Netty carries it over without its decoding failure
	 * (an invalid {@code Content-Length} then failed the balancer with a 500 and a stack trace) and with one
	 * {@code Host} of several.
	 */
	boolean servedOnHttp11(HttpRequest request) {
		if (!request.headers().contains(HttpHeaderNames.UPGRADE)) {
			return false;
		}
		if (!request.headers().containsValue(HttpHeaderNames.UPGRADE, H2C, true)) {
			// Netty's upgrade handler holds every request that asks for an upgrade, and answered one to another
			// protocol (Upgrade: websocket on a POST, TLS/1.0) with the same empty 413 when its body was larger. No
			// such upgrade takes a body (a WebSocket handshake is a GET), and Upgrade is not passed to backends.
			return hasLargerBody(request);
		}
		if (request.decoderResult().isFailure() || ClientRequestHeads.hostFault(request, false) != null) {
			return true;
		}
		return hasLargerBody(request);
	}

	/** Whether the body is larger than the upgrade handler holds, or may be. */
	private boolean hasLargerBody(HttpRequest request) {
		return HttpUtil.isTransferEncodingChunked(request)
				|| HttpUtil.getContentLength(request, 0L) > this.maxContentLength;
	}

}
