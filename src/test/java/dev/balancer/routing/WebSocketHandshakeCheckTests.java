package dev.balancer.routing;

import org.junit.jupiter.api.Test;

import org.springframework.mock.http.server.reactive.MockServerHttpRequest;
import org.springframework.mock.web.server.MockServerWebExchange;

import static org.assertj.core.api.Assertions.assertThat;

/** The handshakes the balancer refuses before any backend. */
class WebSocketHandshakeCheckTests {

	@Test
	void aHandshakeNeedsGetAConnectionUpgradeAndAKey() {
		assertThat(WebSocketHandshakeCheck.handshakeFault(exchange(MockServerHttpRequest.get("/ws")
			.header("Connection", "keep-alive, Upgrade")
			.header("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ==")))).isNull();
		assertThat(WebSocketHandshakeCheck.handshakeFault(exchange(MockServerHttpRequest.post("/ws")
			.header("Connection", "Upgrade")
			.header("Sec-WebSocket-Key", "k")))).isEqualTo("the method must be GET, not POST");
		assertThat(WebSocketHandshakeCheck.handshakeFault(exchange(MockServerHttpRequest.get("/ws")
			.header("Sec-WebSocket-Key", "k")))).isEqualTo("no Connection: Upgrade header");
		assertThat(WebSocketHandshakeCheck.handshakeFault(exchange(MockServerHttpRequest.get("/ws")
			.header("Connection", "upgrade")))).isEqualTo("no Sec-WebSocket-Key header");
	}

	private static MockServerWebExchange exchange(MockServerHttpRequest.BaseBuilder<?> request) {
		return MockServerWebExchange.from(request.header("Upgrade", "websocket"));
	}

}
