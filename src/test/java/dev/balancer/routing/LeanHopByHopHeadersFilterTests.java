package dev.balancer.routing;

import java.util.List;
import java.util.Set;

import org.junit.jupiter.api.Test;

import org.springframework.cloud.gateway.filter.headers.HttpHeadersFilter.Type;
import org.springframework.cloud.gateway.filter.headers.RemoveHopByHopHeadersFilter;
import org.springframework.http.HttpHeaders;
import org.springframework.mock.http.server.reactive.MockServerHttpRequest;
import org.springframework.mock.web.server.MockServerWebExchange;
import org.springframework.web.server.ServerWebExchange;

import static dev.balancer.routing.HeadersByName.byName;
import static org.assertj.core.api.Assertions.assertThat;

/** Same headers removed as by the gateway's filter; that the balancer uses it: {@code ProxyIntegrationTests}. */
class LeanHopByHopHeadersFilterTests {

	final RemoveHopByHopHeadersFilter gateway = new RemoveHopByHopHeadersFilter();

	final LeanHopByHopHeadersFilter lean = new LeanHopByHopHeadersFilter(this.gateway);

	@Test
	void removesHopByHopHeadersInAnyCaseAndKeepsTheRestWithAllTheirValues() {
		HttpHeaders request = requestHeaders(MockServerHttpRequest.get("/")
			.header("Keep-Alive", "timeout=5")
			.header("TRANSFER-ENCODING", "chunked")
			.header("te", "trailers")
			.header("Trailer", "Expires")
			.header("Proxy-Authorization", "Basic eDp5")
			.header("Upgrade", "websocket")
			.header("X-Custom", "a", "b")
			.header("Accept", "text/plain"));

		HttpHeaders filtered = this.lean.filter(request, exchange());

		assertThat(filtered.headerNames()).containsExactly("X-Custom", "Accept");
		assertThat(filtered.get("X-Custom")).containsExactly("a", "b");
		assertThat(byName(filtered)).isEqualTo(byName(this.gateway.filter(request, exchange())));
	}

	@Test
	void removesTheHeadersTheConnectionHeaderNames() {
		HttpHeaders response = new HttpHeaders();
		response.add("Connection", "close, X-Secret");
		response.add("connection", "x-other");
		response.add("x-secret", "1");
		response.add("X-Other", "2");
		response.add("X-Kept", "3");

		HttpHeaders filtered = this.lean.filter(response, exchange());

		assertThat(filtered.headerNames()).containsExactly("X-Kept");
		assertThat(byName(filtered)).isEqualTo(byName(this.gateway.filter(response, exchange())));
	}

	@Test
	void passesHeadersWithNothingToRemoveOnAsTheyAreWithoutACopy() {
		HttpHeaders request = requestHeaders(MockServerHttpRequest.get("/").header("Host", "a").header("X-A", "1"));

		HttpHeaders filtered = this.lean.filter(request, exchange());

		assertThat(filtered).isSameAs(request);
		assertThat(filtered).isEqualTo(this.gateway.filter(request, exchange()));
	}

	@Test
	void takesOverTheGatewayFiltersHeadersOrderAndTypes() {
		RemoveHopByHopHeadersFilter configured = new RemoveHopByHopHeadersFilter();
		configured.setHeaders(Set.of("X-Internal"));
		configured.setOrder(42);
		LeanHopByHopHeadersFilter filter = new LeanHopByHopHeadersFilter(configured);
		HttpHeaders response = new HttpHeaders();
		response.add("x-internal", "1");
		response.add("Keep-Alive", "timeout=5");

		assertThat(filter.getOrder()).isEqualTo(42);
		assertThat(filter.filter(response, exchange()).headerNames()).containsExactly("Keep-Alive");
		assertThat(List.of(Type.REQUEST, Type.RESPONSE)).allMatch(filter::supports);
	}

	private static HttpHeaders requestHeaders(MockServerHttpRequest.BaseBuilder<?> request) {
		return MockServerWebExchange.from(request).getRequest().getHeaders();
	}

	private static ServerWebExchange exchange() {
		return MockServerWebExchange.from(MockServerHttpRequest.get("/"));
	}

}
