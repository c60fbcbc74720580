package dev.balancer.routing;

import org.junit.jupiter.api.Test;

import org.springframework.http.HttpHeaders;
import org.springframework.web.reactive.socket.CloseStatus;

import static org.assertj.core.api.Assertions.assertThat;

/** The pieces of {@link WebSocketProxyFilter} that need no connection. */
class WebSocketProxyFilterTests {

	@Test
	void closeCodesThatMayBeSentPassAsTheyCameAndTheOthersBecomeNormalOrBadGateway() {
		for (int code : new int[] { 1000, 1001, 1003, 1008, 1011, 1014, 3000, 4000, 4999 }) {
			CloseStatus status = new CloseStatus(code, "why");
			assertThat(WebSocketProxyFilter.relayed(status)).as("code " + code).isSameAs(status);
		}
		assertThat(WebSocketProxyFilter.relayed(CloseStatus.NO_STATUS_CODE)).isEqualTo(CloseStatus.NORMAL);
		for (int code : new int[] { 1004, 1006, 1015, 2000 }) {
			assertThat(WebSocketProxyFilter.relayed(new CloseStatus(code)).getCode()).as("code " + code)
				.isEqualTo(1014);
		}
	}

	@Test
	void theSubprotocolsAskedForAreEveryItemOfEveryHeaderTrimmedOnceEach() {
		HttpHeaders headers = new HttpHeaders();
		headers.add("Sec-WebSocket-Protocol", "v2.chat, v1.chat");
		headers.add("Sec-WebSocket-Protocol", "v1.chat,mqtt");

		assertThat(WebSocketProxyFilter.requestedProtocols(headers)).containsExactly("v2.chat", "v1.chat", "mqtt");
		assertThat(WebSocketProxyFilter.requestedProtocols(new HttpHeaders())).isEmpty();
	}

}
