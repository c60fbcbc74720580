package dev.balancer.routing;

import java.net.InetSocketAddress;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import reactor.core.publisher.Mono;

import org.springframework.cloud.client.ServiceInstance;
import org.springframework.cloud.client.loadbalancer.DefaultResponse;
import org.springframework.cloud.gateway.support.ServerWebExchangeUtils;
import org.springframework.http.ResponseCookie;
import org.springframework.mock.http.server.reactive.MockServerHttpRequest;
import org.springframework.mock.web.server.MockServerWebExchange;

import static dev.balancer.support.Instances.backend;
import static org.assertj.core.api.Assertions.assertThat;

/** When the sticky-session cookie is set, and whether it is {@code Secure}; through the gateway: the integration test. */
class StickySessionFilterTests {

	static final InetSocketAddress INGRESS = new InetSocketAddress("10.0.0.9", 40000);

	static final InetSocketAddress CLIENT = new InetSocketAddress("203.0.113.7", 40000);

	final ServiceInstance one = backend(18081);

	final StickySessions sessions = new StickySessions(List.of(this.one, backend(18082)), "BALANCER", null, "Lax");

	final StickySessionFilter filter = new StickySessionFilter(this.sessions,
			new ForwardingHeadersFilter(List.of(AddressRange.parse("10.0.0.0/8"))));

	@ParameterizedTest
	@CsvSource(delimiter = '|', textBlock = """
			10.0.0.9    | https       | true
			10.0.0.9    | HTTPS       | true
			10.0.0.9    | https, http | true
			10.0.0.9    | http        | false
			10.0.0.9    | http, https | false
			10.0.0.9    |             | false
			203.0.113.7 | https       | false
			""")
	void theCookieIsSecureWhenATrustedProxySaysTheClientCameOverTls(String peer, String proto, boolean secure) {
		MockServerHttpRequest.BaseBuilder<?> request = MockServerHttpRequest.get("http://balancer/")
			.remoteAddress(new InetSocketAddress(peer, 40000));
		if (proto != null) {
			request.header("X-Forwarded-Proto", proto);
		}

		assertThat(pinned(MockServerWebExchange.from(request)).isSecure()).isEqualTo(secure);
	}

	@Test
	void theCookieIsSecureWhenTheClientCameToTheBalancerOverTls() {
		// Spring's request URI says https when the connection is TLS
		MockServerHttpRequest.BaseBuilder<?> request = MockServerHttpRequest.get("https://balancer/")
			.remoteAddress(CLIENT)
			.header("X-Forwarded-Proto", "http");

		assertThat(pinned(MockServerWebExchange.from(request)).isSecure()).isTrue();
	}

	@Test
	void aClientAlreadyPinnedToTheBackendThatAnsweredGetsNoCookie() {
		MockServerWebExchange exchange = MockServerWebExchange.from(MockServerHttpRequest.get("http://balancer/")
			.remoteAddress(CLIENT)
			.cookie(this.sessions.cookie(this.one, false)));

		answeredBy(exchange, this.one);

		assertThat(exchange.getResponse().getCookies()).isEmpty();
	}

	private ResponseCookie pinned(MockServerWebExchange exchange) {
		answeredBy(exchange, this.one);
		ResponseCookie cookie = exchange.getResponse().getCookies().getFirst("BALANCER");
		assertThat(cookie).isNotNull();
		assertThat(cookie.getValue()).isEqualTo(this.sessions.id(this.one));
		return cookie;
	}

	private void answeredBy(MockServerWebExchange exchange, ServiceInstance backend) {
		this.filter.filter(exchange, (filtered) -> {
			filtered.getAttributes()
				.put(ServerWebExchangeUtils.GATEWAY_LOADBALANCER_RESPONSE_ATTR, new DefaultResponse(backend));
			return Mono.empty();
		}).block();
	}

}
