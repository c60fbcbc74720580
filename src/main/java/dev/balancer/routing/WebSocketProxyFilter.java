package dev.balancer.routing;

import java.io.IOException;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.websocketx.WebSocketClientHandshakeException;
import org.jspecify.annotations.Nullable;
import reactor.core.Disposable;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Sinks;
import reactor.netty.Connection;
import reactor.netty.http.client.HttpClient;
import reactor.netty.http.client.WebsocketClientSpec;
import reactor.util.context.Context;

import org.springframework.beans.factory.ObjectProvider;
import org.springframework.cloud.gateway.filter.GatewayFilterChain;
import org.springframework.cloud.gateway.filter.GlobalFilter;
import org.springframework.cloud.gateway.filter.WebsocketRoutingFilter;
import org.springframework.cloud.gateway.filter.headers.HttpHeadersFilter;
import org.springframework.cloud.gateway.support.ServerWebExchangeUtils;
import org.springframework.core.Ordered;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.http.HttpStatusCode;
import org.springframework.http.server.reactive.ServerHttpRequestDecorator;
import org.springframework.http.server.reactive.ServerHttpResponse;
import org.springframework.util.StringUtils;
import org.springframework.web.reactive.socket.CloseStatus;
import org.springframework.web.reactive.socket.WebSocketHandler;
import org.springframework.web.reactive.socket.WebSocketMessage;
import org.springframework.web.reactive.socket.WebSocketSession;
import org.springframework.web.reactive.socket.client.ReactorNettyWebSocketClient;
import org.springframework.web.reactive.socket.client.WebSocketClient;
import org.springframework.web.reactive.socket.server.WebSocketService;
import org.springframework.web.server.ServerWebExchange;

/**
 * Proxies WebSocket handshakes, in place of the gateway's {@link WebsocketRoutingFilter}: the backend's handshake
 * first, then the client's, as nginx does, so that the client learns what the backend answered.
 * <p>
 * The gateway's filter answers the client's handshake with {@code 101 Switching Protocols} first, and only then
 * connects to the backend (spring-cloud-gateway #1884, open since 2020). A backend that refused the handshake
 * ({@code 401} for a missing token, {@code 403}, {@code 404}) or could not be reached left the client with a session
 * closed at once ({@code 1002}, "Protocol error") instead of the backend's status, and a WARN line naming neither
 * backend nor cause; the attempt, over by the time the backend was tried, could be neither retried nor counted
 * against the backend. Here:
 * <ul>
 * <li>the client is switched to WebSocket only once the backend has been: its {@code 101} carries the subprotocol
 * the backend chose, and the headers the backend's had (a session cookie; not the connection's);</li>
 * <li>a backend's refusal reaches the client as its status and headers ({@code WWW-Authenticate} included; Netty
 * keeps no body of it), counted under that status and, a 5xx, retried on another backend as any response;</li>
 * <li>a backend that could not be reached, or closed the connection without answering, fails the attempt as an
 * HTTP request's would: retried on another backend, a 503 when none is left ({@link FailoverFilter});</li>
 * <li>the handshake's wait for the backend is the attempt, timed by {@code balancer.timeouts.response} and counted
 * in {@code balancer.backend.response.time}; the session that follows is neither, but is in flight to its backend
 * until it closes ({@link InFlightRequests}: {@code balancer.backend.requests.active}, least connections);</li>
 * <li>when the balancer stops, open sessions are closed with {@code 1001} ({@link OpenWebSocketSessions}); new
 * handshakes, and those Spring would refuse, are refused before the load balancer's pick
 * ({@link WebSocketHandshakeCheck}).</li>
 * </ul>
 * The client's path and query go to the backend exactly as sent ({@link ExactUrls}), with the request headers the
 * gateway's filter sends: those of the gateway's {@link HttpHeadersFilter}s, without {@code Host} (unless the route
 * preserves it) and without the client's {@code Sec-WebSocket-*} headers, which the backend connection makes its
 * own of; and, as for any request, without a {@code User-Agent} or {@code Accept} the client did not send.
 */
public final class WebSocketProxyFilter implements GlobalFilter, Ordered {

	private static final String SEC_WEBSOCKET_PROTOCOL = "Sec-WebSocket-Protocol";

	/** The key of the headers passed on to the backend, in the context of its handshake. */
	private static final String PASSED_HEADERS = WebSocketProxyFilter.class.getName() + ".passedHeaders";

	/** Messages a backend may send before the client's session begins, read ahead ({@code Proxy#fromBackend}). */
	private static final int EARLY_MESSAGES = 16;

	/**
	 * Headers of a backend's refusal not passed on, besides those the response's header filters take out (the
	 * connection's own, as for any response): they describe a body the client never gets.
	 */
	private static final List<String> BODY_HEADERS = List.of(HttpHeaders.CONTENT_LENGTH, HttpHeaders.CONTENT_TYPE,
			HttpHeaders.CONTENT_ENCODING);

	private final int order;

	private final WebSocketClient client;

	private final WebSocketService service;

	private final ObjectProvider<List<HttpHeadersFilter>> headersFiltersProvider;

	private final OpenWebSocketSessions sessions;

	private volatile @Nullable List<HttpHeadersFilter> headersFilters;

	/**
	 * @param gatewayFilter the gateway's filter, whose place in the chain this one takes
	 */
	public WebSocketProxyFilter(WebsocketRoutingFilter gatewayFilter, WebSocketClient client,
			WebSocketService service, ObjectProvider<List<HttpHeadersFilter>> headersFiltersProvider,
			OpenWebSocketSessions sessions) {
		this.order = gatewayFilter.getOrder();
		this.client = (client instanceof ReactorNettyWebSocketClient reactorClient) ? withoutAddedHeaders(reactorClient)
				: client;
		this.service = service;
		this.headersFiltersProvider = headersFiltersProvider;
		this.sessions = sessions;
	}

	/** Where the gateway's filter runs: after the load-balancer filter, before the HTTP routing filter. */
	@Override
	public int getOrder() {
		return this.order;
	}

	@Override
	public Mono<Void> filter(ServerWebExchange exchange, GatewayFilterChain chain) {
		URI url = exchange.getAttribute(ServerWebExchangeUtils.GATEWAY_REQUEST_URL_ATTR);
		if (url == null || url.getHost() == null || ServerWebExchangeUtils.isAlreadyRouted(exchange)
				|| !"websocket".equalsIgnoreCase(exchange.getRequest().getHeaders().getUpgrade())) {
			return chain.filter(exchange);
		}
		String scheme = url.getScheme().toLowerCase(Locale.ROOT);
		boolean secure = scheme.equals("https") || scheme.equals("wss");
		if (!secure && !scheme.equals("http") && !scheme.equals("ws")) {
			return chain.filter(exchange);
		}
		// Handshakes the balancer refuses were refused before the load balancer's pick (WebSocketHandshakeCheck).
		ServerWebExchangeUtils.setAlreadyRouted(exchange);
		URI backendUrl = ExactUrls.moved(url, secure ? "wss" : "ws", url.getHost(), url.getPort());
		HttpHeaders headers = HttpHeadersFilter.filterRequest(headersFilters(), exchange);
		return new Proxy(exchange, backendUrl, headers, requestedProtocols(exchange.getRequest().getHeaders()))
			.handshakes();
	}

	/**
	 * The gateway's client, but taking back the {@code User-Agent} and {@code Accept} Reactor Netty's client adds to
	 * a handshake without them, as {@link LeanNettyRoutingFilter} does for any other request: the backend gets the
	 * headers the client sent. (Spring's client has no hook to the request but its {@link HttpClient}'s, so it is
	 * built again on one that has: the gateway's, with the same WebSocket settings.)
	 */
	static ReactorNettyWebSocketClient withoutAddedHeaders(ReactorNettyWebSocketClient client) {
		HttpClient httpClient = client.getHttpClient().doOnRequest((request, connection) -> {
			HttpHeaders passed = request.currentContextView().getOrDefault(PASSED_HEADERS, null);
			if (passed != null) {
				LeanNettyRoutingFilter.withoutAddedHeaders(passed, request.requestHeaders());
			}
		});
		WebsocketClientSpec spec = client.getWebsocketClientSpec();
		return new ReactorNettyWebSocketClient(httpClient, () -> WebsocketClientSpec.builder()
			.version(spec.version())
			.maxFramePayloadLength(spec.maxFramePayloadLength())
			.handlePing(spec.handlePing())
			.compress(spec.compress())
			.compressionAllowClientNoContext(spec.compressionAllowClientNoContext())
			.compressionRequestedServerNoContext(spec.compressionRequestedServerNoContext()));
	}

	/** The subprotocols the client asks for, in its order. */
	static List<String> requestedProtocols(HttpHeaders headers) {
		Set<String> protocols = new LinkedHashSet<>();
		for (String value : headers.getOrEmpty(SEC_WEBSOCKET_PROTOCOL)) {
			for (String protocol : StringUtils.tokenizeToStringArray(value, ",")) {
				protocols.add(protocol);
			}
		}
		return List.copyOf(protocols);
	}

	/**
	 * The close status to pass on to one side when the other closed with {@code status}: as it came, unless it is
	 * one that may not be sent in a close frame (RFC 6455, 7.4.1). A close frame without a code (1005) becomes a
	 * normal close; a connection lost without one (1006), or a failed TLS handshake (1015), becomes 1014, "Bad
	 * Gateway", the code registered for a proxy whose other side failed.
	 */
	static CloseStatus relayed(CloseStatus status) {
		int code = status.getCode();
		if ((code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1014) || (code >= 3000 && code <= 4999)) {
			return status;
		}
		return (code == 1005) ? CloseStatus.NORMAL : new CloseStatus(1014, "the other side of the proxy failed");
	}

	private List<HttpHeadersFilter> headersFilters() {
		List<HttpHeadersFilter> filters = this.headersFilters;
		if (filters == null) {
			filters = new ArrayList<>(this.headersFiltersProvider.getIfAvailable(ArrayList::new));
			filters.add(WebSocketProxyFilter::withoutHostUnlessPreserved);
			filters.add(WebSocketProxyFilter::withoutWebSocketHeaders);
			this.headersFilters = filters;
		}
		return filters;
	}

	/** The backend connection sets {@code Host} to the backend's, unless the route asks to keep the client's. */
	private static HttpHeaders withoutHostUnlessPreserved(HttpHeaders headers, ServerWebExchange exchange) {
		HttpHeaders filtered = new HttpHeaders();
		filtered.addAll(headers);
		filtered.remove(HttpHeaders.HOST);
		if (exchange.getAttributeOrDefault(ServerWebExchangeUtils.PRESERVE_HOST_HEADER_ATTRIBUTE, false)) {
			String host = exchange.getRequest().getHeaders().getFirst(HttpHeaders.HOST);
			if (host != null) {
				filtered.add(HttpHeaders.HOST, host);
			}
		}
		return filtered;
	}

	/** The backend connection makes its own key, version and extensions, and sends the subprotocols asked for. */
	private static HttpHeaders withoutWebSocketHeaders(HttpHeaders headers, ServerWebExchange exchange) {
		HttpHeaders filtered = new HttpHeaders();
		for (Map.Entry<String, List<String>> header : headers.headerSet()) {
			if (!header.getKey().toLowerCase(Locale.ROOT).startsWith("sec-websocket-")) {
				filtered.addAll(header.getKey(), header.getValue());
			}
		}
		return filtered;
	}

	/** One client's WebSocket session through the balancer: the two handshakes, then the messages both ways. */
	private final class Proxy {

		private final ServerWebExchange exchange;

		private final URI backendUrl;

		private final HttpHeaders headers;

		private final List<String> protocols;

		/** The backend's session, once its handshake is done, or why there is none. */
		private final Sinks.One<WebSocketSession> backend = Sinks.one();

		/** Completed when the session ends, or when the client's handshake fails: the backend's session then closes. */
		private final Sinks.Empty<Void> ended = Sinks.empty();

		/**
		 * The backend's messages, read from the moment its handshake is done: Reactor Netty drops what comes
		 * before anyone reads, when the backend closes right after (a greeting, then a close). At most
		 * {@link #EARLY_MESSAGES} are read ahead of the client's session; then the backend is read as fast as the
		 * client takes its messages.
		 */
		private volatile @Nullable ReadAhead<WebSocketMessage> fromBackend;

		/** Whether the client's session began. */
		private volatile boolean bridged;

		/** When the client's handshake came, for the access log. */
		private final long startNanos = System.nanoTime();

		/** Bytes of the messages sent to the client, for the access log. */
		private final AtomicLong bytesToClient = new AtomicLong();

		Proxy(ServerWebExchange exchange, URI backendUrl, HttpHeaders headers, List<String> protocols) {
			this.exchange = exchange;
			this.backendUrl = backendUrl;
			this.headers = headers;
			this.protocols = protocols;
		}

		/**
		 * Completes once the client's handshake is answered, with the backend's session open behind it; fails, with
		 * nothing sent to the client, when the backend's handshake failed.
		 */
		Mono<Void> handshakes() {
			return Mono.defer(() -> {
				Disposable backendSession = WebSocketProxyFilter.this.client
					.execute(this.backendUrl, this.headers, new BackendHandler())
					.contextWrite(Context.of(PASSED_HEADERS, this.headers))
					.subscribe(null, (failure) -> this.backend.tryEmitError(failure), this.backend::tryEmitEmpty);
				return this.backend.asMono()
					.doOnCancel(backendSession::dispose)
					.onErrorResume(WebSocketClientHandshakeException.class, this::refused)
					.flatMap(this::clientHandshake)
					.doOnError((failure) -> abandon())
					.doOnCancel(() -> {
						if (!this.bridged) {
							abandon(); // called off (a timeout, the client gone) before the session
						}
					});
			});
		}

		/** Switches the client to WebSocket, on the subprotocol the backend chose, and joins the two sessions. */
		private Mono<Void> clientHandshake(WebSocketSession backendSession) {
			List<String> chosen = asTheClientWroteIt(backendSession.getHandshakeInfo().getSubProtocol());
			// What the backend answered, as for any proxied response: the attempt is counted under it. (It also
			// replaces the status of an earlier attempt's refusal, retried by FailoverFilter.)
			this.exchange.getResponse().setStatusCode(HttpStatus.SWITCHING_PROTOCOLS);
			// A session cookie, say, set by the backend's 101, as nginx passes it on.
			relay(backendSession.getHandshakeInfo().getHeaders());
			return WebSocketProxyFilter.this.service.handleRequest(this.exchange, new WebSocketHandler() {

				@Override
				public List<String> getSubProtocols() {
					return chosen;
				}

				@Override
				public Mono<Void> handle(WebSocketSession clientSession) {
					Proxy.this.bridged = true;
					// In flight to its backend until it closes, as nginx's least_conn counts a session: the
					// exchange, which would end the count, ends with the 101.
					AtomicInteger inFlight = InFlightRequests.take(Proxy.this.exchange.getAttributes());
					WebSocketProxyFilter.this.sessions.add(clientSession, clientLoop());
					return bridge(clientSession, backendSession).doFinally((signal) -> {
						WebSocketProxyFilter.this.sessions.remove(clientSession);
						if (inFlight != null) {
							inFlight.decrementAndGet();
						}
						BackendAccessLog.webSocketSession(Proxy.this.exchange, Proxy.this.bytesToClient.get(),
								Duration.ofNanos(System.nanoTime() - Proxy.this.startNanos));
					});
				}

			}).doOnSuccess((done) -> {
				if (!this.bridged) {
					abandon(); // the client's handshake was answered without a session
				}
			});
		}

		/**
		 * The subprotocol the backend chose, as the client's {@code Sec-WebSocket-Protocol} header spells it, for
		 * Spring's handshake, which matches the header's items untrimmed: of {@code v2.chat, v1.chat}, as browsers
		 * write the list, it would not find {@code v1.chat} (Netty, which writes the 101, trims it).
		 */
		private List<String> asTheClientWroteIt(@Nullable String protocol) {
			if (!StringUtils.hasText(protocol)) {
				return List.of();
			}
			String header = this.exchange.getRequest().getHeaders().getFirst(SEC_WEBSOCKET_PROTOCOL);
			List<String> spellings = new ArrayList<>();
			for (String item : StringUtils.commaDelimitedListToStringArray(header)) {
				if (item.trim().equals(protocol)) {
					spellings.add(item);
				}
			}
			return spellings.isEmpty() ? List.of(protocol) : spellings;
		}

		/** The event loop of the client's connection, or, where there is none to be found, the caller's thread. */
		private Executor clientLoop() {
			return (ServerHttpRequestDecorator.getNativeRequest(this.exchange.getRequest()) instanceof Connection client)
					? client.channel().eventLoop() : Runnable::run;
		}

		/** Closes the backend's session, which no client session follows, and frees the messages read ahead. */
		private void abandon() {
			this.ended.tryEmitEmpty();
			ReadAhead<WebSocketMessage> early = this.fromBackend;
			if (early != null) {
				early.cancel();
			}
		}

		/**
		 * The backend's answer other than {@code 101}, as the answer to the client: its status and headers, with no
		 * body. A handshake Netty gave up on without an answer (the connection closed first) fails as a reset
		 * connection: the attempt is retried on another backend.
		 */
		private Mono<WebSocketSession> refused(WebSocketClientHandshakeException failure) {
			HttpResponse answer = failure.response();
			if (answer == null || answer.status().code() == HttpStatus.SWITCHING_PROTOCOLS.value()) {
				String reason = "its WebSocket handshake answer failed Netty's checks: " + failure.getMessage();
				return Mono.error((answer == null) ? new UnansweredHandshakeException(failure)
						: new BackendResponseHeads.InvalidResponseException(reason));
			}
			this.exchange.getResponse().setStatusCode(HttpStatusCode.valueOf(answer.status().code()));
			HttpHeaders sent = new HttpHeaders();
			answer.headers().forEach((header) -> sent.add(header.getKey(), header.getValue()));
			relay(sent);
			return Mono.empty();
		}

		/**
		 * Passes the headers of the backend's answer to its handshake on to the client's answer, as those of any
		 * proxied response: through the response's header filters (hop-by-hop headers out, and the user's), but for
		 * those of a body the client does not get and the {@code Sec-WebSocket-*} ones, which the client's own
		 * handshake makes.
		 */
		private void relay(HttpHeaders answered) {
			HttpHeaders relayed = withoutWebSocketHeaders(HttpHeadersFilter.filter(headersFilters(), answered,
					this.exchange, HttpHeadersFilter.Type.RESPONSE), this.exchange);
			BODY_HEADERS.forEach(relayed::remove);
			ServerHttpResponse response = this.exchange.getResponse();
			response.getHeaders().addAll(relayed);
			// so that a retry (FailoverFilter) starts from a clean response, as after a proxied answer
			this.exchange.getAttributes()
				.put(ServerWebExchangeUtils.CLIENT_RESPONSE_HEADER_NAMES, new LinkedHashSet<>(relayed.headerNames()));
		}

		/**
		 * Messages both ways until either side closes; then, once all it sent has gone on, the other side is closed
		 * with the same status. (Closed as soon as the close came, as by the gateway's filter, the other side lost
		 * the messages still on their way: a greeting, then a close.)
		 */
		private Mono<Void> bridge(WebSocketSession clientSession, WebSocketSession backendSession) {
			// Either way, a side gone already fails its direction at once, which must not call off the other: it
			// still takes the last messages and the close to the side that is left. Nor may it cancel the messages
			// it was sending, which would close their side without a code (Reactor Netty does so on a cancel) before
			// the code of the side that closed could go.
			Mono<Void> toClient = clientSession
				.send(Objects.requireNonNull(this.fromBackend)
					.outlastCancel()
					.doOnNext((message) -> this.bytesToClient.addAndGet(message.getPayload().readableByteCount())))
				.onErrorComplete()
				.then(closedAsWell(backendSession, clientSession));
			Mono<Void> toBackend = backendSession
				.send(ReadAhead.outlastingCancel(clientSession.receive().doOnNext(WebSocketMessage::retain),
						EARLY_MESSAGES, WebSocketMessage::release))
				.onErrorComplete()
				.then(closedAsWell(clientSession, backendSession));
			return Mono.zip(toBackend, toClient).then().doFinally((signal) -> this.ended.tryEmitEmpty());
		}

		/** Closes {@code other} with the status {@code closed} closed with, unless it is closed already. */
		private static Mono<Void> closedAsWell(WebSocketSession closed, WebSocketSession other) {
			return closed.closeStatus()
				.defaultIfEmpty(CloseStatus.NO_CLOSE_FRAME)
				.filter((status) -> other.isOpen())
				.flatMap((status) -> other.close(relayed(status)))
				.onErrorComplete(); // the other's connection is gone already: nothing is left to tell it
		}

		/** Hands on the backend's session once its handshake is done, and keeps it open until the proxy ends. */
		private final class BackendHandler implements WebSocketHandler {

			@Override
			public List<String> getSubProtocols() {
				return Proxy.this.protocols;
			}

			@Override
			public Mono<Void> handle(WebSocketSession session) {
				Proxy.this.fromBackend = ReadAhead.of(session.receive().doOnNext(WebSocketMessage::retain),
						EARLY_MESSAGES, WebSocketMessage::release);
				Proxy.this.backend.tryEmitValue(session);
				return Proxy.this.ended.asMono();
			}

		}

	}

	/**
	 * A backend closed the connection before it answered a WebSocket handshake: a reset connection
	 * ({@link UpstreamFailure#RESET}), retried on another backend.
	 */
	static final class UnansweredHandshakeException extends IOException {

		UnansweredHandshakeException(Throwable cause) {
			super("connection closed before the WebSocket handshake was answered", cause);
		}

	}

}
