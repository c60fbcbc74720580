package dev.balancer.routing;

import java.net.SocketAddress;
import java.util.Iterator;

import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandler.Sharable;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.DecoderException;
import io.netty.handler.codec.PrematureChannelClosureException;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMessage;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.codec.http.TooLongHttpHeaderException;
import io.netty.handler.codec.http.TooLongHttpLineException;
import io.netty.handler.codec.http2.DefaultHttp2ResetFrame;
import io.netty.handler.codec.http2.Http2Error;
import io.netty.handler.codec.http2.Http2Exception;
import io.netty.handler.codec.http2.Http2StreamChannel;
import io.netty.handler.codec.http2.HttpConversionUtil;
import io.netty.handler.ssl.SslHandshakeCompletionEvent;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.util.AttributeKey;
import io.netty.util.ReferenceCountUtil;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.jspecify.annotations.Nullable;
import reactor.netty.Connection;
import reactor.netty.ConnectionObserver;
import reactor.netty.NettyPipeline;
import reactor.netty.channel.ChannelOperations;
import tools.jackson.databind.json.JsonMapper;

import dev.balancer.metrics.ClientErrors;
import dev.balancer.web.JsonErrorHandler;

import org.springframework.http.HttpStatus;

/**
 * What Spring gets of the request heads clients send, on HTTP/1.1 connections and HTTP/2 streams: the request,
 * with three changes.
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
 * Malformed escapes ({@code /50%off}) are refused, as Go's server, the seed's, refuses them (below).</li>
 * <li><b>A request whose {@code Host} header is missing (HTTP/1.1), repeated or not a host and port is refused</b>
 * with a 400, as RFC 9112 (3.2) asks of a server and nginx does. Passed on, the backend got
 * {@code X-Forwarded-Host: localhost} made up for a request without one, the first of two, or whatever the client
 * sent, which backends use to build links.</li>
 * <li><b>The host of an absolute-form target ({@code GET http://host/path}, as clients write to a proxy) wins over
 * the {@code Host} header</b>, as RFC 9112 (3.2.2) asks and nginx and Go do: it becomes the {@code Host} the rest
 * of the balancer sees, and so the backend's {@code X-Forwarded-Host}. Spring took the header's.</li>
 * </ul>
 * {@code OPTIONS *}, a question about the server itself that Spring would send on as {@code OPTIONS /}, is
 * answered here as Go's server, the seed's, answers it: {@code 200}, no body. A request of another version than
 * HTTP/1.0 and HTTP/1.1 gets a JSON 505 ({@link #isHttp1}), and one whose body comes in a transfer coding other
 * than {@code chunked} alone a JSON 501 ({@link #unsupportedCodings}). A header a client sends in the name
 * of the access log's fields ({@link BackendAccessLog}) is taken out.
 * <p>
 * <b>A request that is not valid HTTP is answered here</b>: one Netty could not decode, one without a valid
 * {@code Host}, one whose target holds a control character or a malformed escape ({@code /50%off}; Spring cannot
 * parse either), or one whose target is neither a path nor an absolute URL ({@link #isTargetForm}). The client gets the
 * balancer's JSON error, a 400 (a 414 for a request line over {@code server.netty.max-initial-line-length}, a 431
 * for headers over {@code server.max-http-request-header-size}) with the reason, and the connection is closed, as
 * nginx closes it (over HTTP/2, the request's stream ends and the connection goes on); the log gets one INFO line,
 * as nginx logs these at info, and {@code balancer.client.errors} a count ({@link ClientErrors}). Reactor Netty
 * answered them with an empty body and logged each at WARN over several lines, the request's head included, so that
 * a scanner could fill the log; Spring answered a target it could not parse with an empty 400 and logged nothing.
 * <p>
 * Neither Spring nor Reactor Netty has an option for any of this. Where the server offers HTTP/2
 * ({@code server.http2.enabled}), in clear text or over TLS, HTTP/1.1 requests get it all the same, and so do HTTP/2
 * requests, which Netty translates to the same HTTP/1.1 objects on each stream's pipeline ({@code :path} is the
 * target; {@code :authority} the {@code Host}). Without it, HTTP/2 requests fared as HTTP/1.1 ones did: raw bytes
 * garbled, a request without {@code :authority} sent on with a made-up {@code X-Forwarded-Host}.
 */
@Sharable
public final class ClientRequestHeads extends ChannelInboundHandlerAdapter {

	/** Name of the handler in the pipeline of every client connection. */
	static final String HANDLER_NAME = "balancer.clientRequestHeads";

	private static final String INSTALLER_NAME = "balancer.clientRequestHeadsAfterNegotiation";

	private static final String DISCARD_NAME = "balancer.refusedRequestDiscard";

	private static final int MAX_REASON_LENGTH = 200;

	private static final String ASTERISK = "*";

	private static final Log logger = LogFactory.getLog(ClientRequestHeads.class);

	/** The lines of refused requests, from every connection ({@link LogBudget}). */
	private static final LogBudget REFUSAL_LINES = new LogBudget();

	private static final ClientRequestHeads INSTANCE = new ClientRequestHeads();

	/** Set on a connection the server's idle timer closes. */
	private static final AttributeKey<Boolean> TIMED_OUT = AttributeKey.valueOf(ClientRequestHeads.class, "timedOut");

	private static final char[] HEX = "0123456789ABCDEF".toCharArray();

	private static final HttpConversionUtil.ExtensionHeaderNames[] TRANSLATION_HEADERS =
			HttpConversionUtil.ExtensionHeaderNames.values();

	private ClientRequestHeads() {
	}

	/**
	 * Adds the handler to a new client connection, where requests leave the HTTP/1.1 codec; a
	 * {@code ChannelPipelineConfigurer} for the server, which Reactor Netty runs after building its own pipeline.
	 * Over TLS with HTTP/2 offered ({@code server.http2.enabled}), the protocol is chosen in the handshake, and the
	 * handler is added then, to a connection that chose HTTP/1.1.
	 */
	public static void install(ConnectionObserver observer, Channel channel, @Nullable SocketAddress remoteAddress) {
		ChannelPipeline pipeline = channel.pipeline();
		if (addTo(pipeline)) {
			if (pipeline.get(NettyPipeline.H2CUpgradeHandler) != null) {
				Http2ConnectionErrors.addTo(pipeline); // HTTP/2 in clear text, from its first bytes or an upgrade
			}
		}
		else if (pipeline.get(NettyPipeline.H2OrHttp11Codec) != null) {
			pipeline.addAfter(NettyPipeline.H2OrHttp11Codec, INSTALLER_NAME, AfterNegotiation.INSTANCE);
		}
	}

	/**
	 * Adds the handler to a new HTTP/2 stream ({@code server.http2.enabled}), where its request leaves Netty's
	 * translation of HTTP/2 frames to HTTP/1.1 objects; a {@code ConnectionObserver} of the server's connections.
	 * Reactor Netty builds each stream a pipeline of its own, with no hook for handlers, and tells the server's
	 * observers of it as it becomes active ({@link ConnectionObserver.State#CONNECTED}), before its request is read.
	 */
	public static void installOnStream(Connection connection, ConnectionObserver.State state) {
		if (state == ConnectionObserver.State.CONNECTED && connection.channel() instanceof Http2StreamChannel) {
			addTo(connection.channel().pipeline());
		}
	}

	/**
	 * Adds the handler in front of Reactor Netty's HTTP/1.1 traffic handler, where there is one. Netty's HTTP/1.1
	 * codec is then ahead of it: as {@link NettyPipeline#HttpCodec}, or, where clients may upgrade to HTTP/2 in clear
	 * text, inside the upgrade handler, which puts it in its own place, under a name of Netty's, on the first request.
	 * An HTTP/1.x connection gets its {@link Http1Exchanges} after it.
	 */
	private static boolean addTo(ChannelPipeline pipeline) {
		if (pipeline.get(NettyPipeline.HttpTrafficHandler) == null) {
			return false;
		}
		pipeline.addBefore(NettyPipeline.HttpTrafficHandler, HANDLER_NAME, INSTANCE);
		if (!(pipeline.channel() instanceof Http2StreamChannel)) {
			Http1Exchanges.addTo(pipeline);
		}
		return true;
	}

	@Override
	public void channelRead(ChannelHandlerContext ctx, Object msg) {
		if (msg instanceof HttpRequest request) {
			if (request.decoderResult().cause() instanceof PrematureChannelClosureException) {
				unfinished(ctx, request);
				return;
			}
			if (request.decoderResult().isFailure()) {
				refuse(ctx, request, request.decoderResult().cause());
				return;
			}
			HttpVersion version = request.protocolVersion();
			if (version != HttpVersion.HTTP_1_1 && version != HttpVersion.HTTP_1_0) {
				if (!isHttp1(version)) {
					String text = printable(version.text());
					refuse(ctx, request, HttpStatus.HTTP_VERSION_NOT_SUPPORTED, "The request's HTTP version is not "
							+ "supported: " + text + " (HTTP/1.0 and HTTP/1.1 are)", "a request of version " + text,
							ClientErrors.Reason.HTTP_VERSION);
					return;
				}
				if (version.minorVersion() > 1) {
					request.setProtocolVersion(HttpVersion.HTTP_1_1); // as RFC 9110 (2.5) asks
				}
			}
			String codings = unsupportedCodings(request);
			if (codings != null) {
				refuse(ctx, request, HttpStatus.NOT_IMPLEMENTED, "The request's Transfer-Encoding is not supported: "
						+ codings + " (only chunked is)", "a request with Transfer-Encoding " + codings,
						ClientErrors.Reason.TRANSFER_CODING);
				return;
			}
			String target = request.uri();
			String encoded = encoded(target);
			if (encoded == null) {
				refuse(ctx, request, new IllegalArgumentException(targetFault(target)));
				return;
			}
			if (encoded != target) {
				request.setUri(encoded);
			}
			if (!isTargetForm(encoded, request.method())) {
				refuse(ctx, request, new IllegalArgumentException("a request target that is neither a path starting "
						+ "with / nor an absolute URL"));
				return;
			}
			String hostFault = hostFault(request, ctx.channel() instanceof Http2StreamChannel);
			if (hostFault != null) {
				refuse(ctx, request, new IllegalArgumentException(hostFault));
				return;
			}
			if (ASTERISK.equals(encoded) && HttpMethod.OPTIONS.equals(request.method())) {
				answer(ctx, request, serverOptions());
				return;
			}
			String authority = authority(encoded);
			if (authority != null && ctx.channel() instanceof Http2StreamChannel) {
				// RFC 9113 (8.3.1): :path holds the path, the host is :authority's. Taken as HTTP/1.1's absolute
				// form, its host won over :authority, past whatever checks :authority in front of the balancer.
				refuse(ctx, request, new IllegalArgumentException("an absolute URL in :path, which holds a path"));
				return;
			}
			if (authority != null) {
				if (authority.isEmpty() || authority.charAt(0) == ':' || !validHost(authority)) {
					refuse(ctx, request, new IllegalArgumentException("a request target whose host is not a host"
							+ " and port"));
					return;
				}
				// RFC 9112 (3.2.2): the target's host wins over the Host header, as with nginx and Go's server
				request.headers().set(HttpHeaderNames.HOST, authority);
			}
			BackendAccessLog.removeFrom(request.headers());
			if (ctx.channel() instanceof Http2StreamChannel) {
				removeTranslationHeaders(request);
			}
		}
		ctx.fireChannelRead(msg);
	}

	/**
	 * Takes out the headers in which Netty's translation of an HTTP/2 stream to HTTP/1.1 objects tells of the
	 * stream ({@code x-http2-stream-id}, {@code x-http2-scheme}, ...): they are no part of the client's request, and
	 * every backend got them, the {@code :scheme} the client claimed among them ({@code https} in clear text, beside
	 * {@code X-Forwarded-Proto: http}). nginx sends no such header on either.
	 */
	private static void removeTranslationHeaders(HttpRequest request) {
		for (HttpConversionUtil.ExtensionHeaderNames name : TRANSLATION_HEADERS) {
			request.headers().remove(name.text());
		}
	}

	/**
	 * Whether a version is one of HTTP/1, which the balancer serves, a later minor version as HTTP/1.1 (Reactor Netty
	 * answered {@code HTTP/1.2} in kind, a version no client knows). Netty reads any major version, and Reactor Netty
	 * answered a request of {@code HTTP/2.0} (a client speaking HTTP/2 in HTTP/1.1's framing, or HTTP/2's preface
	 * where it is not offered) with an empty 400 and a WARN line with the request's head, and {@code HTTP/3.0} or
	 * {@code HTTP/0.9} in kind; nginx answers a 505 to both.
	 */
	private static boolean isHttp1(HttpVersion version) {
		return version.majorVersion() == 1 && "HTTP".equals(version.protocolName());
	}

	/**
	 * A message's transfer codings, where they are other than {@code chunked} alone; {@code null} for a message
	 * without or with only {@code chunked}. Netty refuses a request's codings that do not end in {@code chunked},
	 * but reads a {@code gzip, chunked} body as chunked and nothing more: the backend got it as {@code chunked},
	 * the gzip unsaid, and took the compressed bytes for the body. RFC 9112 (6.1) asks for a 501, as nginx answers.
	 * A backend's response is read the same way ({@link BackendResponseHeads}).
	 */
	static @Nullable String unsupportedCodings(HttpMessage message) {
		Iterator<String> values = message.headers().valueStringIterator(HttpHeaderNames.TRANSFER_ENCODING);
		if (!values.hasNext()) {
			return null;
		}
		String first = values.next();
		if (!values.hasNext() && HttpHeaderValues.CHUNKED.contentEqualsIgnoreCase(first.strip())) {
			return null;
		}
		return printable(String.join(", ", message.headers().getAll(HttpHeaderNames.TRANSFER_ENCODING)));
	}

	/**
	 * An HTTP/2 stream's protocol error (a malformed request Netty's HTTP/2 codec refused, two
	 * {@code content-length}s say): one INFO line and a count ({@link ClientErrors}), where Reactor Netty logged each
	 * at ERROR with a stack trace.
	 * Netty has reset the stream already and closes it. An error of the whole connection, which Netty hands each of
	 * its streams too, is logged once, by {@link Http2ConnectionErrors}.
	 */
	@Override
	public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
		if (ctx.channel() instanceof Http2StreamChannel && cause instanceof DecoderException
				&& cause.getCause() != null && ChannelOperations.get(ctx.channel()) == null) {
			// Netty's translation of the stream's HEADERS to an HTTP/1.1 request refused them, before any request
			// was read on the stream: an :authority and a host that differ, which RFC 9113 (8.3.1) calls malformed,
			// or a :path with a space, which no request line can hold (nginx answers both with a 400). The JSON 400
			// on the stream, as for any request that is not valid HTTP; passed on, the failure closed the stream
			// with a CANCEL, logged at DEBUG alone.
			refuse(ctx, null, cause.getCause());
			return;
		}
		if (!(ctx.channel() instanceof Http2StreamChannel) || !(cause instanceof Http2Exception)) {
			ctx.fireExceptionCaught(cause);
			return;
		}
		if (!(cause instanceof Http2Exception.StreamException)) {
			return; // the connection's error, counted and logged once by Http2ConnectionErrors
		}
		ClientErrors.refused(ClientErrors.Reason.HTTP2_PROTOCOL);
		if (logger.isInfoEnabled()) {
			REFUSAL_LINES.info(logger, "[" + id(ctx.channel()) + "] HTTP/2 stream from "
					+ ctx.channel().remoteAddress() + " reset for a protocol error: " + printable(cause.getMessage()));
		}
	}

	/**
	 * Whether a target is in one of the forms of RFC 9112 (3.2) that the method may use: a path starting with
	 * {@code /}, an absolute URL, {@code *} for {@code OPTIONS}, or anything for {@code CONNECT}, which is refused
	 * later with a 405. Netty reads any word as the target; Spring made a URL of {@code #x} or {@code @host/}
	 * behind the client's {@code Host}, whose host the backend's replaced only in part
	 * ({@code 127.0.0.1:8081#x}, {@code a@127.0.0.1}): the connection failed, and the backend, taken for
	 * unreachable, was marked DOWN. One such request took a backend out of rotation until its next probe. nginx
	 * answers these with a 400 too.
	 */
	static boolean isTargetForm(String target, HttpMethod method) {
		if (!target.isEmpty() && target.charAt(0) == '/') {
			return true;
		}
		if (ASTERISK.equals(target)) {
			return HttpMethod.OPTIONS.equals(method);
		}
		return authority(target) != null || HttpMethod.CONNECT.equals(method);
	}

	/**
	 * The host and port of an absolute-form target ({@code http://host:port/path}, what clients send to a proxy),
	 * without user information; {@code null} for an origin-form target ({@code /path}) or {@code *}.
	 */
	static @Nullable String authority(String target) {
		if (target.isEmpty() || target.charAt(0) == '/' || ASTERISK.equals(target)) {
			return null;
		}
		int start = target.indexOf("://");
		if (start < 0) {
			return null; // not a URL Spring would take for one either
		}
		start += 3;
		int end = start;
		while (end < target.length() && "/?#".indexOf(target.charAt(end)) < 0) {
			end++;
		}
		String authority = target.substring(start, end);
		return authority.substring(authority.lastIndexOf('@') + 1);
	}

	/**
	 * The answer to {@code OPTIONS *}, a question about the server as a whole, which no backend can be asked:
	 * Spring would send it on as {@code OPTIONS /}, about the backend's root resource. The answer is Go's, the seed's:
	 * {@code 200} with no body. (nginx answers 400.)
	 */
	/**
	 * Reactor Netty's idle timer ({@code server.netty.idle-timeout}) runs until a request's head is read whole: a
	 * client that sends its head slowly or not at all has the connection closed by it, as nginx's
	 * {@code client_header_timeout} does.
	 */
	@Override
	public void userEventTriggered(ChannelHandlerContext ctx, Object event) {
		if (event instanceof IdleStateEvent) {
			ctx.channel().attr(TIMED_OUT).set(Boolean.TRUE);
		}
		ctx.fireUserEventTriggered(event);
	}

	/**
	 * A connection closed in the middle of a request head, by the client or by the idle timer: Netty hands the head
	 * on as a failed request, which was logged as a 400 answered. Nothing can be answered on a closed connection;
	 * the log says who closed it.
	 */
	private static void unfinished(ChannelHandlerContext ctx, HttpRequest request) {
		ReferenceCountUtil.release(request);
		Channel channel = ctx.channel();
		boolean timedOut = Boolean.TRUE.equals(channel.attr(TIMED_OUT).get());
		if (timedOut) {
			ClientErrors.refused(ClientErrors.Reason.HEAD_TIMEOUT);
		}
		if (logger.isInfoEnabled()) {
			REFUSAL_LINES.info(logger, "[" + id(channel) + "] " + (timedOut
					? "closed the connection of " + channel.remoteAddress()
							+ ": its request head did not come whole within server.netty.idle-timeout"
					: channel.remoteAddress() + " closed its connection in the middle of a request head"));
		}
	}

	private static FullHttpResponse serverOptions() {
		FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK);
		response.headers()
			.setInt(HttpHeaderNames.CONTENT_LENGTH, 0)
			.set(HttpHeaderNames.DATE, HttpDate.now())
			.set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
		return response;
	}

	/**
	 * Answers a request that is not valid HTTP with the balancer's JSON error and closes the connection. What the
	 * client sends after it is dropped: the request's body, if Netty goes on decoding one.
	 */
	private static void refuse(ChannelHandlerContext ctx, @Nullable HttpRequest request, Throwable fault) {
		String reason = printable(fault.getMessage());
		String message = "The request is not valid HTTP: " + reason;
		String refused = "a request that is not valid HTTP: " + reason + hint(fault);
		if (fault instanceof TooLongHttpLineException) {
			refuse(ctx, request, HttpStatus.URI_TOO_LONG, message, refused, ClientErrors.Reason.URI_TOO_LONG);
		}
		else if (fault instanceof TooLongHttpHeaderException) {
			refuse(ctx, request, HttpStatus.REQUEST_HEADER_FIELDS_TOO_LARGE, message, refused,
					ClientErrors.Reason.HEADERS_TOO_LARGE);
		}
		else {
			refuse(ctx, request, HttpStatus.BAD_REQUEST, message, refused, ClientErrors.Reason.INVALID_REQUEST);
		}
	}

	/** Answers a refused request with the JSON error and the message, counts it, and logs what the request was. */
	private static void refuse(ChannelHandlerContext ctx, @Nullable HttpRequest request, HttpStatus status,
			String message, String refused, ClientErrors.Reason reason) {
		if (!answer(ctx, request, jsonError(status, message))) {
			return;
		}
		ClientErrors.refused(reason);
		if (logger.isInfoEnabled()) {
			REFUSAL_LINES.info(logger, "[" + id(ctx.channel()) + "] answered " + status.value() + " to "
					+ ctx.channel().remoteAddress() + ", " + refused);
		}
	}

	/**
	 * The balancer's JSON error, for a request answered below Spring, which would otherwise answer it with
	 * {@code JsonErrorHandler}; with {@code Connection: close}.
	 */
	static FullHttpResponse jsonError(HttpStatus status, String message) {
		byte[] body = JsonErrorHandler.body(JsonMapper.shared(), status, message);
		FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1,
				HttpResponseStatus.valueOf(status.value(), status.getReasonPhrase()), Unpooled.wrappedBuffer(body));
		response.headers()
			.set(HttpHeaderNames.CONTENT_TYPE, HttpHeaderValues.APPLICATION_JSON)
			.setInt(HttpHeaderNames.CONTENT_LENGTH, body.length)
			.set(HttpHeaderNames.DATE, HttpDate.now())
			.set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
		return response;
	}

	/**
	 * Answers a request here, without passing it on, and closes the connection; what the client sends after it is
	 * dropped. {@code false}, and no answer, for a second request read with one already answered. Over HTTP/1.x the
	 * answer waits for those to the requests the client pipelined before it ({@link Http1Exchanges}).
	 * <p>
	 * An HTTP/2 request is one stream of a connection that other requests may share: the answer ends the stream,
	 * and the connection stays open ({@code Connection: close} is dropped in the translation to HTTP/2). A client
	 * still sending a body is asked to stop with a {@code RST_STREAM} of {@code NO_ERROR} after the answer, which
	 * RFC 9113 (8.1) provides for this and clients must not take for a failure of the answer. Without a request (one
	 * that Netty could not translate from HTTP/2), the client is taken for one still sending.
	 */
	private static boolean answer(ChannelHandlerContext ctx, @Nullable HttpRequest request, FullHttpResponse response) {
		boolean whole = request instanceof LastHttpContent;
		ReferenceCountUtil.release(request); // null-safe
		if (ctx.pipeline().get(DISCARD_NAME) != null) {
			response.release();
			return false; // the first's answer closes the connection
		}
		ctx.pipeline().addAfter(HANDLER_NAME, DISCARD_NAME, Discard.INSTANCE);
		if (ctx.channel() instanceof Http2StreamChannel) {
			ChannelFuture written = ctx.writeAndFlush(response);
			if (!whole) {
				// once the answer is out: a reset at once would drop its DATA frame, still waiting for the flush
				written.addListener((ChannelFutureListener) (future) -> {
					if (future.isSuccess()) {
						ctx.writeAndFlush(new DefaultHttp2ResetFrame(Http2Error.NO_ERROR));
					}
				});
			}
			return true;
		}
		ctx.channel().config().setAutoRead(false);
		if (!Http1Exchanges.answerInTurn(ctx, response)) {
			ctx.writeAndFlush(response).addListener(ChannelFutureListener.CLOSE);
		}
		return true;
	}

	/** The connection's id in the log, with the stream's for an HTTP/2 request: {@code 5e1f0a2b/3}. */
	private static String id(Channel channel) {
		if (channel instanceof Http2StreamChannel stream) {
			return channel.parent().id().asShortText() + "/" + stream.stream().id();
		}
		return channel.id().asShortText();
	}

	/** Which limit the operator may raise, for a request over one. */
	private static String hint(Throwable fault) {
		if (fault instanceof TooLongHttpLineException) {
			return " (limit: server.netty.max-initial-line-length)";
		}
		if (fault instanceof TooLongHttpHeaderException) {
			return " (limit: server.max-http-request-header-size)";
		}
		return "";
	}

	/**
	 * Netty's reasons can quote what the client sent: kept to printable ASCII and 200 characters, for the log and
	 * the answer.
	 */
	static String printable(@Nullable String reason) {
		if (reason == null) {
			return "malformed request";
		}
		StringBuilder printable = new StringBuilder(Math.min(reason.length(), MAX_REASON_LENGTH));
		for (int i = 0; i < reason.length() && i < MAX_REASON_LENGTH; i++) {
			char c = reason.charAt(i);
			printable.append((c >= 0x20 && c < 0x7F) ? c : '?');
		}
		return printable.toString();
	}

	/**
	 * Waits for the TLS handshake to choose the protocol. Reactor Netty sets up the pipeline for it, then hands on
	 * what the client sent meanwhile, then the handshake's event: the first of the two adds the handler, if HTTP/1.1
	 * was chosen, before anything reaches the HTTP/1.1 codec.
	 */
	@Sharable
	private static final class AfterNegotiation extends ChannelInboundHandlerAdapter {

		static final AfterNegotiation INSTANCE = new AfterNegotiation();

		@Override
		public void channelRead(ChannelHandlerContext ctx, Object msg) {
			addHandler(ctx);
			ctx.fireChannelRead(msg);
		}

		@Override
		public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
			if (evt instanceof SslHandshakeCompletionEvent) {
				addHandler(ctx);
			}
			ctx.fireUserEventTriggered(evt);
		}

		private static void addHandler(ChannelHandlerContext ctx) {
			ChannelPipeline pipeline = ctx.pipeline();
			if (pipeline.get(INSTALLER_NAME) != null) {
				pipeline.remove(INSTALLER_NAME);
				if (!addTo(pipeline) && pipeline.get(NettyPipeline.H2MultiplexHandler) != null) {
					Http2ConnectionErrors.addTo(pipeline);
				}
			}
		}

	}

	/** Drops what a refused client sends before its connection is closed. */
	@Sharable
	private static final class Discard extends ChannelInboundHandlerAdapter {

		private static final Discard INSTANCE = new Discard();

		@Override
		public void channelRead(ChannelHandlerContext ctx, Object msg) {
			ReferenceCountUtil.release(msg);
		}

	}

	/**
	 * Why the request's {@code Host} header is refused, or {@code null} when it is fine. An HTTP/2 request's
	 * {@code :authority} is its {@code Host} by then (Netty's translation to HTTP/1.1 refuses the two when they
	 * differ), so the reason names both for one.
	 */
	static @Nullable String hostFault(HttpRequest request, boolean http2) {
		Iterator<? extends CharSequence> hosts = request.headers().valueCharSequenceIterator(HttpHeaderNames.HOST);
		String name = http2 ? ":authority or Host" : "Host header";
		if (!hosts.hasNext()) {
			return HttpVersion.HTTP_1_0.equals(request.protocolVersion()) ? null : "no " + name;
		}
		CharSequence host = hosts.next();
		if (hosts.hasNext()) {
			return "more than one " + name;
		}
		return validHost(host) ? null : "a " + name + " that is not a host and port";
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
	 * (nothing is allocated then), or {@code null} when it is not valid ({@link #targetFault}). Each character is
	 * one byte of the request line, as Netty decodes it; a target with a character above 255, which Netty never
	 * makes, is returned as it is.
	 */
	static @Nullable String encoded(String target) {
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
			else if (c < 0x20 || (c == '%' && !isEscape(target, i))) {
				return null;
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

	/**
	 * Why a target {@link #encoded} refuses is not valid: it holds a control character, which nginx and Go's server
	 * refuse as well, or a {@code %} that does not start an escape of two hex digits, which Spring cannot parse.
	 */
	static String targetFault(String target) {
		for (int i = 0; i < target.length(); i++) {
			if (target.charAt(i) < 0x20) {
				return "a control character in the request target";
			}
		}
		return "a malformed percent-escape in the request target";
	}

	private static boolean isEscape(String target, int percent) {
		return percent + 2 < target.length() && isHex(target.charAt(percent + 1)) && isHex(target.charAt(percent + 2));
	}

	private static boolean isHex(char c) {
		return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
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
