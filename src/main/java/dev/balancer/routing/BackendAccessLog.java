package dev.balancer.routing;

import java.net.InetSocketAddress;
import java.net.SocketAddress;

import io.netty.handler.codec.http.HttpHeaders;
import io.netty.util.AsciiString;
import org.jspecify.annotations.Nullable;
import reactor.netty.http.server.ConnectionInformation;
import reactor.netty.http.server.HttpServerRequest;
import reactor.netty.http.server.logging.AccessLog;
import reactor.netty.http.server.logging.AccessLogArgProvider;

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
 */
public final class BackendAccessLog {

	/** The header of the client's request that carries the fields to the log (its hash computed once). */
	static final AsciiString FIELDS = AsciiString.cached("x-balancer-access-log");

	private static final String FORMAT = "{} - {} [{}] \"{} {} {}\" {} {} {} {}";

	private static final String MISSING = "-";

	private static final String NO_BACKEND = "backend=- attempts=0";

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

	/** Records the backend of the last attempt, and the number of attempts, for the access log. */
	static void record(ServerWebExchange exchange, @Nullable String backend, int attempts) {
		if (ServerHttpRequestDecorator.getNativeRequest(exchange.getRequest()) instanceof HttpServerRequest client) {
			client.requestHeaders().set(FIELDS, "backend=" + ((backend != null) ? backend : MISSING) + " attempts="
					+ attempts);
		}
	}

	/** Takes out a header a client sent in the log's name: one lookup of a name whose hash is kept. */
	static void removeFrom(HttpHeaders clientHeaders) {
		clientHeaders.remove(FIELDS);
	}

	private static String clientAddress(@Nullable ConnectionInformation connection) {
		SocketAddress address = (connection != null) ? connection.connectionRemoteAddress() : null;
		return (address instanceof InetSocketAddress inet) ? inet.getHostString() : MISSING;
	}

}
