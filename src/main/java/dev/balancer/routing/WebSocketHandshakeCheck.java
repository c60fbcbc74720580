package dev.balancer.routing;

import java.util.List;

import org.jspecify.annotations.Nullable;
import reactor.core.publisher.Mono;

import org.springframework.cloud.gateway.filter.GatewayFilterChain;
import org.springframework.cloud.gateway.filter.GlobalFilter;
import org.springframework.core.Ordered;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpMethod;
import org.springframework.http.HttpStatus;
import org.springframework.util.StringUtils;
import org.springframework.web.reactive.socket.server.WebSocketService;
import org.springframework.web.server.ServerWebExchange;

/**
 * Refuses the WebSocket handshakes the balancer will not proxy before any backend is chosen: one that Spring's
 * {@link WebSocketService} would refuse (a {@code 400}), and any while the balancer stops (a {@code 503}: a session
 * would be closed at once, {@link OpenWebSocketSessions}). Refused in {@link WebSocketProxyFilter}, which runs after
 * the load balancer's pick, they were counted in {@code balancer.backend.requests} under the backend picked, with
 * {@code status="error"}, though nothing went to it.
 */
public final class WebSocketHandshakeCheck implements GlobalFilter, Ordered {

	/** Before {@link FailoverFilter}, which makes the attempts. */
	public static final int ORDER = FailoverFilter.ORDER - 1;

	private final OpenWebSocketSessions sessions;

	public WebSocketHandshakeCheck(OpenWebSocketSessions sessions) {
		this.sessions = sessions;
	}

	@Override
	public int getOrder() {
		return ORDER;
	}

	@Override
	public Mono<Void> filter(ServerWebExchange exchange, GatewayFilterChain chain) {
		if (!"websocket".equalsIgnoreCase(exchange.getRequest().getHeaders().getUpgrade())) {
			return chain.filter(exchange);
		}
		String fault = handshakeFault(exchange);
		if (fault != null) {
			// Refused before a backend is bothered with it, as Spring would refuse it once the backend had agreed.
			return Mono.error(ErrorAnswer.of(HttpStatus.BAD_REQUEST, "Invalid WebSocket handshake: " + fault));
		}
		if (this.sessions.isClosing()) {
			// The client may try another balancer.
			return Mono.error(ErrorAnswer.closing(HttpStatus.SERVICE_UNAVAILABLE, Stopping.ANSWER));
		}
		return chain.filter(exchange);
	}

	/**
	 * What is wrong with a client's handshake that Spring's {@link WebSocketService} would refuse, or {@code null}.
	 */
	static @Nullable String handshakeFault(ServerWebExchange exchange) {
		if (exchange.getRequest().getMethod() != HttpMethod.GET) {
			return "the method must be GET, not " + exchange.getRequest().getMethod().name();
		}
		HttpHeaders headers = exchange.getRequest().getHeaders();
		List<String> connection = headers.getConnection();
		if (connection.stream().noneMatch((token) -> token.equalsIgnoreCase("upgrade"))) {
			return "no Connection: Upgrade header";
		}
		if (!StringUtils.hasText(headers.getFirst("Sec-WebSocket-Key"))) {
			return "no Sec-WebSocket-Key header";
		}
		return null;
	}

}
