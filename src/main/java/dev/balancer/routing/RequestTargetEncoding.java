package dev.balancer.routing;

import java.net.SocketAddress;

import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler.Sharable;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.HttpRequest;
import org.jspecify.annotations.Nullable;
import reactor.netty.ConnectionObserver;
import reactor.netty.NettyPipeline;

/**
 * Percent-encodes what a client's request target holds raw but a URI may not, before Spring reads it: bytes
 * outside ASCII (a UTF-8 {@code é} sent as is becomes {@code %C3%A9}), the characters {@code " < > \ ^ ` { | }}
 * and DEL anywhere, and {@code [ ]} in the path of a target that starts with {@code /}. Everything else, valid
 * escapes included, stays as the client sent it.
 * <p>
 * Why: clients do send such targets ({@code curl 'http://lb/search?q=café'} sends the é as two raw bytes;
 * {@code ?markers=a|b}, {@code ?filter={"a":1}}), and nginx and the Go seed proxy them. Without this step Spring
 * answers every target that {@link java.net.URI} cannot parse with an empty 400, and a raw byte above 127 reached
 * the backend garbled: Netty reads the request line one byte to one character, and the routing step wrote those
 * characters out as UTF-8 again, so {@code é} arrived as {@code %C3%83%C2%A9} ("Ã©"). The percent-encoded form is
 * the one browsers send for the same target, and a backend decodes it to the bytes the client sent. Neither
 * Spring nor Reactor Netty has an option for this.
 * <p>
 * Malformed escapes ({@code /50%off}) are left alone and still answered 400, as Go's server, the seed's, answers
 * them. Only HTTP/1.1 connections get the step: an HTTP/2 connection has no HTTP/1.1 codec to follow.
 */
@Sharable
public final class RequestTargetEncoding extends ChannelInboundHandlerAdapter {

	/** Name of the handler in the pipeline of every client connection. */
	static final String HANDLER_NAME = "balancer.requestTargetEncoding";

	private static final RequestTargetEncoding INSTANCE = new RequestTargetEncoding();

	private static final char[] HEX = "0123456789ABCDEF".toCharArray();

	private RequestTargetEncoding() {
	}

	/**
	 * Adds the handler right after the HTTP/1.1 codec of a new client connection; a
	 * {@code ChannelPipelineConfigurer} for the server, which Reactor Netty runs after building its own pipeline.
	 */
	public static void install(ConnectionObserver observer, Channel channel, @Nullable SocketAddress remoteAddress) {
		if (channel.pipeline().get(NettyPipeline.HttpCodec) != null) {
			channel.pipeline().addAfter(NettyPipeline.HttpCodec, HANDLER_NAME, INSTANCE);
		}
	}

	@Override
	public void channelRead(ChannelHandlerContext ctx, Object msg) {
		if (msg instanceof HttpRequest request) {
			String target = request.uri();
			String encoded = encoded(target);
			if (encoded != target) {
				request.setUri(encoded);
			}
		}
		ctx.fireChannelRead(msg);
	}

	/**
	 * The request target with what a URI may not hold percent-encoded, or the same instance when it holds none
	 * (nothing is allocated then). Each character is one byte of the request line, as Netty decodes it; a target
	 * with a character above 255, which Netty never makes, is returned as it is.
	 */
	static String encoded(String target) {
		boolean originForm = !target.isEmpty() && target.charAt(0) == '/';
		int length = target.length();
		boolean inPath = originForm;
		for (int i = 0; i < length; i++) {
			char c = target.charAt(i);
			if (c == '?') {
				inPath = false;
			}
			else if (mayNotStayRaw(c, inPath)) {
				return (c > 0xFF) ? target : encodedFrom(target, i, inPath);
			}
		}
		return target;
	}

	private static String encodedFrom(String target, int first, boolean inPath) {
		int length = target.length();
		StringBuilder encoded = new StringBuilder(length + 16).append(target, 0, first);
		for (int i = first; i < length; i++) {
			char c = target.charAt(i);
			if (c > 0xFF) {
				return target;
			}
			if (c == '?') {
				inPath = false;
			}
			if (mayNotStayRaw(c, inPath)) {
				encoded.append('%').append(HEX[c >> 4]).append(HEX[c & 0xF]);
			}
			else {
				encoded.append(c);
			}
		}
		return encoded.toString();
	}

	private static boolean mayNotStayRaw(char c, boolean inPath) {
		if (c >= 0x7F) {
			return true;
		}
		return switch (c) {
			case '"', '<', '>', '\\', '^', '`', '{', '|', '}' -> true;
			case '[', ']' -> inPath;
			default -> false;
		};
	}

}
