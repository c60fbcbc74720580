package dev.balancer.routing;

import java.util.concurrent.atomic.AtomicBoolean;

import org.junit.jupiter.api.Test;

import org.springframework.cloud.gateway.filter.headers.HttpHeadersFilter.Type;
import org.springframework.http.HttpHeaders;
import org.springframework.mock.http.server.reactive.MockServerHttpRequest;
import org.springframework.mock.web.server.MockServerWebExchange;

import static org.assertj.core.api.Assertions.assertThat;

class DrainingResponsesFilterTests {

	final AtomicBoolean draining = new AtomicBoolean();

	final DrainingResponsesFilter filter = new DrainingResponsesFilter(this.draining::get);

	final MockServerWebExchange exchange = MockServerWebExchange.from(MockServerHttpRequest.get("/"));

	@Test
	void leavesResponsesAloneUntilTheDrainBegins() {
		HttpHeaders backend = new HttpHeaders();
		backend.set("X-Backend", "a");

		assertThat(this.filter.filter(backend, this.exchange)).isSameAs(backend);
	}

	@Test
	void closesTheConnectionOfEveryResponseOnceTheDrainHasBegun() {
		HttpHeaders backend = new HttpHeaders();
		backend.set("X-Backend", "a");
		this.draining.set(true);

		HttpHeaders filtered = this.filter.filter(HttpHeaders.readOnlyHttpHeaders(backend), this.exchange);

		assertThat(filtered.getFirst(HttpHeaders.CONNECTION)).isEqualTo("close");
		assertThat(filtered.getFirst("X-Backend")).isEqualTo("a");
		assertThat(backend.containsHeader(HttpHeaders.CONNECTION)).isFalse();
	}

	@Test
	void filtersResponsesOnly() {
		assertThat(this.filter.supports(Type.RESPONSE)).isTrue();
		assertThat(this.filter.supports(Type.REQUEST)).isFalse();
	}

}
