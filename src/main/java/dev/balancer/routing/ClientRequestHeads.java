package dev.balancer.routing;

import java.net.SocketAddress;
import java.util.Iterator;

import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler.Sharable;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.DecoderResult;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpVersion;
import org.jspecify.annotations.Nullable;
import reactor.netty.ConnectionObserver;
import reactor.netty.NettyPipeline;

/**
 * What Spring gets of the request heads clients send, on client connections (HTTP/1.1): the request, with two
 * changes.
 * <ul>
 * <li><b>What a request target holds raw but a URI may not is percent-encoded</b>: bytes outside ASCII (a UTF-8
 * {@code é} sent as is becomes {@code %C3%A9}), the characters {@code " < > \ ^ ` { | }} and DEL anywhere, and
 * {@code [ ]} in the path of a target that starts with {@code /}. Everything else, valid escapes included, stays as
 * the client sent it. Clients do send such targets ({@code curl 'http://lb/search?q=café'} sends the é as two raw
 * bytes; {@code ?markers=a|b}, {@code ?filter={"a":1}}), and nginx and the Go seed proxy them. Without this step
 * Spring answered every target that {@link java.net.URI} cannot parse with an empty 400, and a raw byte above 127
 * reached the backend garbled: Netty reads the request line one byte to one character, and the routing step wrote
 * those characters out as UTF-8 again, so {@code é} arrived as {@code %C3%83%C2%A9} ("Ã©"). The percent-encoded
 * form is the one browsers send for the same target, and a backend decodes it to the bytes the client sent.
 * Malformed escapes ({@code /50%off}) are left alone and still answered 400, as Go's server, the seed's, answers
 * them.</li>
 * <li><b>A request whose {@code Host} header is missing (HTTP/1.1), repeated or not a host and port is refused</b>
 * with a 400, as RFC 9112 (3.2) asks of a server and nginx does: the request is marked as failed to decode, which
 * Reactor Netty answers as it answers Netty's own decoding failures (400, connection closed, one WARN line). Passed
 * on, the backend got {@code X-Forwarded-Host: localhost} made up for a request without one, the first of two, or
 * whatever the client sent, which backends use to build links.</li>
 * </ul>
 * Neither Spring nor Reactor Netty has an option for either. An HTTP/2 connection has no HTTP/1.1 codec to follow,
 * and gets neither step.
 */
@Sharable
public final class ClientRequestHeads extends ChannelInboundHandlerAdapter {

	/** Name of the handler in the pipeline of every client connection. */
	static final String HANDLER_NAME = "balancer.clientRequestHeads";

	private static final ClientRequestHeads INSTANCE = new ClientRequestHeads();

	private static final char[] HEX = "0123456789ABCDEF".toCharArray();

	private ClientRequestHeads() {
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
		if (msg instanceof HttpRequest request && request.decoderResult().isSuccess()) {
			String target = request.uri();
			String encoded = encoded(target);
			if (encoded != target) {
				request.setUri(encoded);
			}
			String hostFault = hostFault(request);
			if (hostFault != null) {
				request.setDecoderResult(DecoderResult.failure(new IllegalArgumentException(hostFault)));
			}
		}
		ctx.fireChannelRead(msg);
	}

	/** Why the request's {@code Host} header is refused, or {@code null} when it is fine. */
	static @Nullable String hostFault(HttpRequest request) {
		Iterator<? extends CharSequence> hosts = request.headers().valueCharSequenceIterator(HttpHeaderNames.HOST);
		if (!hosts.hasNext()) {
			return HttpVersion.HTTP_1_0.equals(request.protocolVersion()) ? null : "no Host header";
		}
		CharSequence host = hosts.next();
		if (hosts.hasNext()) {
			return "more than one Host header";
		}
		return validHost(host) ? null : "a Host header that is not a host and port";
	}

	/**
	 * Whether a {@code Host} value is a host and an optional port (RFC 3986's {@code host [ ":" port ]}): a name or
	 * IPv4 address of unreserved characters, escapes and sub-delimiters, or an IP literal in brackets. Empty is
	 * valid: RFC 9112 asks for an empty {@code Host} when the target has no authority.
	 */
	static boolean validHost(CharSequence host) {
		int length = host.length();
		int i = 0;
		if (length > 0 && host.charAt(0) == '[') {
			for (i = 1; i < length && host.charAt(i) != ']'; i++) {
				char c = host.charAt(i);
				if (!(c == ':' || c == '.' || unreservedOrSubDelimiter(c))) {
					return false;
				}
			}
			if (i == length) {
				return false;
			}
			i++;
		}
		else {
			for (; i < length && host.charAt(i) != ':'; i++) {
				char c = host.charAt(i);
				if (!(c == '%' || unreservedOrSubDelimiter(c))) {
					return false;
				}
			}
		}
		if (i < length) {
			if (host.charAt(i) != ':') {
				return false;
			}
			for (i++; i < length; i++) {
				if (host.charAt(i) < '0' || host.charAt(i) > '9') {
					return false;
				}
			}
		}
		return true;
	}

	private static boolean unreservedOrSubDelimiter(char c) {
		return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
				|| "-._~!$&'()*+,;=".indexOf(c) >= 0;
	}

	/**
	 * The request target with what a URI may not hold percent-encoded, or the same instance when it holds none
	 * (nothing is allocated then). Each character is one byte of the request line, as Netty decodes it; a target
	 * with a character above 255, which Netty never makes, is returned as it is.
	 */
	static String encoded(String target) {
		boolean inPath = !target.isEmpty() && target.charAt(0) == '/';
		StringBuilder encoded = null;
		for (int i = 0; i < target.length(); i++) {
			char c = target.charAt(i);
			if (c > 0xFF) {
				return target;
			}
			if (c == '?') {
				inPath = false;
			}
			if (mayNotStayRaw(c, inPath)) {
				if (encoded == null) {
					encoded = new StringBuilder(target.length() + 16).append(target, 0, i);
				}
				encoded.append('%').append(HEX[c >> 4]).append(HEX[c & 0xF]);
			}
			else if (encoded != null) {
				encoded.append(c);
			}
		}
		return (encoded != null) ? encoded.toString() : target;
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
