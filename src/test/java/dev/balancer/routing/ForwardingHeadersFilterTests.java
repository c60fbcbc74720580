package dev.balancer.routing;

import java.net.InetSocketAddress;
import java.util.List;

import org.junit.jupiter.api.Test;

import org.springframework.cloud.gateway.filter.headers.RemoveHopByHopHeadersFilter;
import org.springframework.http.HttpHeaders;
import org.springframework.mock.http.server.reactive.MockServerHttpRequest;
import org.springframework.mock.web.server.MockServerWebExchange;

import static org.assertj.core.api.Assertions.assertThat;

/** The header rules; that the gateway applies them is shown by {@code ProxyIntegrationTests}. */
class ForwardingHeadersFilterTests {

	static final InetSocketAddress CLIENT = new InetSocketAddress("203.0.113.7", 5555);

	final ForwardingHeadersFilter filter = new ForwardingHeadersFilter(List.of(AddressRange.parse("198.51.100.0/24")));

	@Test
	void tellsTheBackendTheClientAddressSchemeAndHost() {
		HttpHeaders forwarded = forward(MockServerHttpRequest.get("http://balancer.example:8080/x")
			.remoteAddress(CLIENT)
			.header("Host", "balancer.example:8080"));

		assertThat(forwarded.getFirst("X-Forwarded-For")).isEqualTo("203.0.113.7");
		assertThat(forwarded.getFirst("X-Forwarded-Proto")).isEqualTo("http");
		assertThat(forwarded.getFirst("X-Forwarded-Host")).isEqualTo("balancer.example:8080");
	}

	@Test
	void replacesForwardedHeadersAnUntrustedClientMadeUp() {
		HttpHeaders forwarded = forward(MockServerHttpRequest.get("http://balancer.example/x")
			.remoteAddress(CLIENT)
			.header("Host", "balancer.example")
			.header("X-Forwarded-For", "6.6.6.6")
			.header("X-Forwarded-Proto", "https")
			.header("X-Forwarded-Host", "evil.example")
			.header("X-Forwarded-Port", "1")
			.header("Forwarded", "for=6.6.6.6"));

		assertThat(forwarded.get("X-Forwarded-For")).containsExactly("203.0.113.7");
		assertThat(forwarded.get("X-Forwarded-Proto")).containsExactly("http");
		assertThat(forwarded.get("X-Forwarded-Host")).containsExactly("balancer.example");
		assertThat(forwarded.containsHeader("X-Forwarded-Port")).isFalse();
		assertThat(forwarded.containsHeader("Forwarded")).isFalse();
	}

	@Test
	void keepsWhatATrustedProxySaysAndAppendsItsAddress() {
		HttpHeaders forwarded = forward(MockServerHttpRequest.get("http://balancer.internal/x")
			.remoteAddress(new InetSocketAddress("198.51.100.1", 443))
			.header("X-Forwarded-For", "203.0.113.7")
			.header("X-Forwarded-Proto", "https")
			.header("X-Forwarded-Host", "shop.example"));

		assertThat(forwarded.get("X-Forwarded-For")).containsExactly("203.0.113.7, 198.51.100.1");
		assertThat(forwarded.get("X-Forwarded-Proto")).containsExactly("https");
		assertThat(forwarded.get("X-Forwarded-Host")).containsExactly("shop.example");
	}

	/**
	 * Python's WSGI, PHP and Rack read {@code X_Forwarded_For} as {@code X-Forwarded-For}: a client's came ahead of
	 * the balancer's own.
	 */
	@Test
	void takesOutAnUntrustedClientsForwardingHeadersSpeltWithUnderscores() {
		HttpHeaders forwarded = forward(MockServerHttpRequest.get("http://shop.example/x")
			.remoteAddress(CLIENT)
			.header("X_Forwarded_For", "6.6.6.6")
			.header("x-forwarded_proto", "https")
			.header("X_Request_Id", "42"));

		assertThat(forwarded.containsHeader("X_Forwarded_For")).isFalse();
		assertThat(forwarded.containsHeader("x-forwarded_proto")).isFalse();
		assertThat(forwarded.getFirst("X_Request_Id")).as("other names with underscores").isEqualTo("42");
		assertThat(forwarded.get("X-Forwarded-For")).containsExactly("203.0.113.7");
	}

	/**
	 * HAProxy's {@code option forwardfor} adds a line of its own after its client's: the lines are one list, where
	 * only the first was kept, dropping the client's real address HAProxy added and keeping the one it made up.
	 */
	@Test
	void takesEveryLineOfATrustedProxysForwardedForAsOneList() {
		HttpHeaders forwarded = forward(MockServerHttpRequest.get("http://balancer.internal/x")
			.remoteAddress(new InetSocketAddress("198.51.100.1", 443))
			.header("X-Forwarded-For", "6.6.6.6")
			.header("X-Forwarded-For", "203.0.113.7"));

		assertThat(forwarded.get("X-Forwarded-For")).containsExactly("6.6.6.6, 203.0.113.7, 198.51.100.1");
	}

	/** An HTTP/1.0 client may send no Host, an HTTP/1.1 one an empty Host: there is none to tell. */
	@Test
	void tellsNoHostWhenTheClientNamedNone() {
		HttpHeaders withoutHost = forward(MockServerHttpRequest.get("http://localhost:8080/x").remoteAddress(CLIENT));
		HttpHeaders emptyHost = forward(MockServerHttpRequest.get("http://localhost:8080/x")
			.remoteAddress(CLIENT)
			.header("Host", ""));

		assertThat(withoutHost.containsHeader("X-Forwarded-Host")).isFalse();
		assertThat(emptyHost.containsHeader("X-Forwarded-Host")).isFalse();
		assertThat(withoutHost.getFirst("X-Forwarded-For")).isEqualTo("203.0.113.7");
	}

	@Test
	void theClientsSchemeIsTheConnectionsUnlessATrustedProxySaysOtherwise() {
		MockServerHttpRequest fromClient = MockServerHttpRequest.get("http://balancer/x")
			.remoteAddress(CLIENT)
			.header("X-Forwarded-Proto", "https")
			.build();
		MockServerHttpRequest fromProxy = MockServerHttpRequest.get("http://balancer/x")
			.remoteAddress(new InetSocketAddress("198.51.100.1", 443))
			.header("X-Forwarded-Proto", "https, http")
			.build();
		MockServerHttpRequest overTls = MockServerHttpRequest.get("https://balancer/x").remoteAddress(CLIENT).build();

		assertThat(this.filter.clientScheme(fromClient)).isEqualTo("http");
		assertThat(this.filter.clientScheme(fromProxy)).isEqualTo("https");
		assertThat(this.filter.clientScheme(overTls)).isEqualTo("https");
	}

	@Test
	void leavesOtherHeadersAndItsInputAlone() {
		MockServerWebExchange exchange = MockServerWebExchange.from(MockServerHttpRequest.get("http://b/x")
			.remoteAddress(CLIENT)
			.header("X-Request-Id", "42")
			.header("X-Forwarded-For", "6.6.6.6"));
		HttpHeaders input = HttpHeaders.readOnlyHttpHeaders(exchange.getRequest().getHeaders());

		HttpHeaders forwarded = this.filter.filter(input, exchange);

		assertThat(forwarded.getFirst("X-Request-Id")).isEqualTo("42");
		assertThat(input.get("X-Forwarded-For")).containsExactly("6.6.6.6");
	}

	@Test
	void changesTheHopByHopFiltersCopyInPlaceInsteadOfCopyingItAgain() {
		MockServerWebExchange exchange = MockServerWebExchange.from(MockServerHttpRequest.get("http://b/x")
			.remoteAddress(CLIENT)
			.header("Connection", "keep-alive")
			.header("X-Request-Id", "42"));
		HttpHeaders copied = new LeanHopByHopHeadersFilter(new RemoveHopByHopHeadersFilter())
			.filter(exchange.getRequest().getHeaders(), exchange);
		assertThat(copied).isInstanceOf(NettyHeaders.class);

		HttpHeaders forwarded = this.filter.filter(copied, exchange);

		assertThat(forwarded).isSameAs(copied);
		assertThat(forwarded.get("X-Forwarded-For")).containsExactly("203.0.113.7");
		assertThat(forwarded.getFirst("X-Request-Id")).isEqualTo("42");
		assertThat(forwarded.containsHeader("Connection")).isFalse();
	}

	private HttpHeaders forward(MockServerHttpRequest.BaseBuilder<?> request) {
		MockServerWebExchange exchange = MockServerWebExchange.from(request);
		return this.filter.filter(exchange.getRequest().getHeaders(), exchange);
	}

}
