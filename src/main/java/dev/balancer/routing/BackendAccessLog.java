package dev.balancer.routing;

import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.time.Duration;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;

import io.netty.channel.ChannelHandler.Sharable;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http2.Http2Headers;
import io.netty.handler.codec.http2.Http2HeadersFrame;
import io.netty.handler.codec.http2.Http2StreamChannel;
import io.netty.util.AsciiString;
import io.netty.util.AttributeKey;
import org.jspecify.annotations.Nullable;
import reactor.netty.Connection;
import reactor.netty.ConnectionObserver;
import reactor.netty.NettyPipeline;
import reactor.netty.http.server.ConnectionInformation;
import reactor.netty.http.server.HttpServerRequest;
import reactor.netty.http.server.logging.AccessLog;
import reactor.netty.http.server.logging.AccessLogArgProvider;
import reactor.util.Logger;
import reactor.util.Loggers;

import org.springframework.http.server.reactive.ServerHttpRequestDecorator;
import org.springframework.web.server.ServerWebExchange;

/**
 * The access log of {@code balancer.access-log.enabled}: Reactor Netty's line, in its format (Common Log Format and
 * the milliseconds the request took), with the backend that answered and the number of attempts after it:
 * <pre>
 * 127.0.0.1 - - [26/Nov/2026:17:05:00 +0000] "GET /a HTTP/1.1" 200 3 12 backend=http://10.0.0.5:8081 attempts=1
 * </pre>
 * Reactor Netty writes the line when the response has been sent, with the bytes it counted; what it is given of
 * the request is the client's request and its headers. So {@link FailoverFilter} hands on the backend and the
 * attempts in a header of the client's request, {@link #FIELDS}, once the last attempt is over (no backend request
 * is made from the client's headers after that); {@link ClientRequestHeads} removes one a client sends, so that no
 * client writes its own. Reactor Netty's log has no other way in: its arguments are the request, the response and
 * the connection's addresses.
 * <p>
 * Over HTTP/2 the log reads the headers of the request's HEADERS frame, not the HTTP/1.1 request Netty translates it
 * to, which is what the rest of the balancer sees: a handler ahead of the log's ({@link #installOnStream}) takes the
 * header out of the frame and keeps the frame's headers on the stream, where {@link #record} sets the fields too.
 * Without it, every HTTP/2 request was logged with {@code backend=- attempts=0}, or with what its client sent in
 * the header.
 * <p>
 * Reactor Netty takes its log off a connection switched to WebSocket, so a session left no line; its line is
 * written here when it ends ({@link #webSocketSession}).
 */
public final class BackendAccessLog {

	/** The header of the client's request that carries the fields to the log (its hash computed once). */
	static final AsciiString FIELDS = AsciiString.cached("x-balancer-access-log");

	private static final String FORMAT = "{} - {} [{}] \"{} {} {}\" {} {} {} {}";

	private static final String MISSING = "-";

	private static final String NO_BACKEND = "backend=- attempts=0";

	/** The headers an HTTP/2 stream's access log reads, those of its request's HEADERS frame. */
	private static final AttributeKey<Http2Headers> LOGGED_HEADERS = AttributeKey.valueOf("balancer.loggedHeaders");

	private static final String STREAM_HANDLER_NAME = "balancer.accessLogFields";

	/** Reactor Netty's access log, which WebSocket sessions' lines go to as well. */
	private static final Logger log = Loggers.getLogger("reactor.netty.http.server.AccessLog");

	/** The date of a line, as Reactor Netty writes it. */
	private static final DateTimeFormatter DATE = DateTimeFormatter.ofPattern("dd/MMM/yyyy:HH:mm:ss Z");

	private BackendAccessLog() {
	}

	/** The line of one request; Reactor Netty's {@code AccessLogFactory}. */
	public static AccessLog line(AccessLogArgProvider request) {
		CharSequence fields = request.requestHeader(FIELDS);
		return AccessLog.create(FORMAT, clientAddress(request.connectionInformation()), request.user(),
				request.zonedDateTime(), request.method(), request.uri(), request.protocol(), request.status(),
				(request.contentLength() > -1) ? request.contentLength() : MISSING, request.duration(),
				(fields != null) ? fields : NO_BACKEND);
	}

	/**
	 * Adds the handler that gives the log the fields of an HTTP/2 request to each new HTTP/2 stream; a
	 * {@code ConnectionObserver} of the server's connections, told of a stream as it becomes active, before its
	 * request is read.
	 */
	public static void installOnStream(Connection connection, ConnectionObserver.State state) {
		if (state == ConnectionObserver.State.CONNECTED && connection.channel() instanceof Http2StreamChannel stream
				&& stream.pipeline().get(NettyPipeline.AccessLogHandler) != null) {
			stream.pipeline().addBefore(NettyPipeline.AccessLogHandler, STREAM_HANDLER_NAME, StreamFields.INSTANCE);
		}
	}

	/** Records the backend of the last attempt, and the number of attempts, for the access log. */
	static void record(ServerWebExchange exchange, @Nullable String backend, int attempts) {
		if (ServerHttpRequestDecorator.getNativeRequest(exchange.getRequest()) instanceof HttpServerRequest client) {
			String fields = "backend=" + ((backend != null) ? backend : MISSING) + " attempts=" + attempts;
			client.requestHeaders().set(FIELDS, fields);
			if (client instanceof Connection connection) {
				Http2Headers logged = connection.channel().attr(LOGGED_HEADERS).get();
				if (logged != null) {
					logged.set(FIELDS, fields);
				}
			}
		}
	}

	/**
	 * The line of a WebSocket session that ended, as nginx writes it: its handshake with the status {@code 101},
	 * the bytes of the messages sent to the client, and the milliseconds from the handshake to the end; written only
	 * where the balancer's access log is on ({@link FailoverFilter} recorded the fields).
	 *
	 * @param length the time from the handshake to the end
	 */
	static void webSocketSession(ServerWebExchange exchange, long bytesToClient, Duration length) {
		if (ServerHttpRequestDecorator.getNativeRequest(exchange.getRequest()) instanceof HttpServerRequest client) {
			String fields = client.requestHeaders().get(FIELDS);
			if (fields != null) {
				log.info(FORMAT, clientAddress(client), MISSING, ZonedDateTime.now().minus(length).format(DATE),
						client.method().name(), client.uri(), client.version().text(), 101, bytesToClient,
						length.toMillis(), fields);
			}
		}
	}

	/** Takes out a header a client sent in the log's name: one lookup of a name whose hash is kept. */
	static void removeFrom(HttpHeaders clientHeaders) {
		clientHeaders.remove(FIELDS);
	}

	/**
	 * On an HTTP/2 stream, ahead of the access log's handler: takes a header a client sent in the log's name out of
	 * the request's HEADERS frame, and keeps the frame's headers on the stream for {@link #record}; then leaves. The
	 * log shows the frame's {@code :path}, so a target with what a URI may not hold raw is logged percent-encoded, as
	 * {@link ClientRequestHeads} hands it on and as an HTTP/1.1 request's line shows it, rather than as raw bytes.
	 */
	@Sharable
	private static final class StreamFields extends ChannelInboundHandlerAdapter {

		static final StreamFields INSTANCE = new StreamFields();

		@Override
		public void channelRead(ChannelHandlerContext ctx, Object msg) {
			if (msg instanceof Http2HeadersFrame frame) {
				frame.headers().remove(FIELDS);
				CharSequence path = frame.headers().path();
				String encoded = (path != null) ? ClientRequestHeads.encoded(path.toString()) : null;
				if (encoded != null && !encoded.contentEquals(path)) {
					frame.headers().path(encoded);
				}
				ctx.channel().attr(LOGGED_HEADERS).set(frame.headers());
				ctx.pipeline().remove(this); // one request per stream; its context still hands the frame on
			}
			ctx.fireChannelRead(msg);
		}

	}

	private static String clientAddress(@Nullable ConnectionInformation connection) {
		SocketAddress address = (connection != null) ? connection.connectionRemoteAddress() : null;
		return (address instanceof InetSocketAddress inet) ? inet.getHostString() : MISSING;
	}

}
