package dev.balancer.routing;

import org.junit.jupiter.api.Test;

import org.springframework.cloud.gateway.filter.headers.GRPCRequestHeadersFilter;
import org.springframework.http.HttpHeaders;
import org.springframework.mock.http.server.reactive.MockServerHttpRequest;
import org.springframework.mock.web.server.MockServerWebExchange;

import static org.assertj.core.api.Assertions.assertThat;

/** Same headers as from the gateway's filter; that the balancer uses it: {@code ProxyIntegrationTests}. */
class LeanGrpcRequestHeadersFilterTests {

	final GRPCRequestHeadersFilter gateway = new GRPCRequestHeadersFilter();

	final LeanGrpcRequestHeadersFilter lean = new LeanGrpcRequestHeadersFilter();

	@Test
	void aGrpcRequestAsksForTrailersAsWithTheGatewaysFilter() {
		MockServerWebExchange exchange = MockServerWebExchange.from(MockServerHttpRequest.post("/svc/Method")
			.header("Content-Type", "Application/GRPC+proto")
			.header("X-Custom", "a", "b"));
		HttpHeaders request = exchange.getRequest().getHeaders();

		HttpHeaders filtered = this.lean.filter(request, exchange);

		assertThat(filtered.get("TE")).containsExactly("trailers");
		assertThat(filtered.get("X-Custom")).containsExactly("a", "b");
		assertThat(filtered).isEqualTo(this.gateway.filter(request, exchange));
	}

	@Test
	void otherRequestsHeadersPassThroughUncopied() {
		MockServerWebExchange exchange = MockServerWebExchange
			.from(MockServerHttpRequest.post("/").header("Content-Type", "application/json").header("X-Custom", "a"));
		HttpHeaders request = exchange.getRequest().getHeaders();

		assertThat(this.lean.filter(request, exchange)).isSameAs(request)
			.isEqualTo(this.gateway.filter(request, exchange));
	}

}
