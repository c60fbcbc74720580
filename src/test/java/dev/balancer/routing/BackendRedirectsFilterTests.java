package dev.balancer.routing;

import java.net.URI;
import java.util.List;

import io.netty.handler.codec.http.DefaultHttpHeaders;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

import org.springframework.cloud.gateway.filter.headers.HttpHeadersFilter.Type;
import org.springframework.http.HttpHeaders;
import org.springframework.mock.http.server.reactive.MockServerHttpRequest;
import org.springframework.mock.web.server.MockServerWebExchange;

import static org.assertj.core.api.Assertions.assertThat;

/** Which URLs count as a backend's own, and what they become; the gateway applying it: the integration test. */
class BackendRedirectsFilterTests {

	final BackendRedirectsFilter filter = new BackendRedirectsFilter(List.of(URI.create("http://10.0.0.5:8081"),
			URI.create("https://API.internal"), URI.create("http://[::1]:9000"), URI.create("http://plain.internal")));

	final MockServerWebExchange exchange = MockServerWebExchange.from(MockServerHttpRequest.get("/"));

	@ParameterizedTest
	@CsvSource(delimiter = '|', textBlock = """
			http://10.0.0.5:8081/login?next=%2Fa#top | /login?next=%2Fa#top
			http://10.0.0.5:8081/                    | /
			http://10.0.0.5:8081                     | /
			http://10.0.0.5:8081?a=1                 | /?a=1
			http://10.0.0.5:8081#f                   | /#f
			HTTP://10.0.0.5:08081/x                  | /x
			https://api.internal/orders/7            | /orders/7
			https://api.internal:443/orders/7        | /orders/7
			https://Api.Internal/                    | /
			http://[::1]:9000/v6                     | /v6
			http://plain.internal:80/p               | /p
			http://plain.internal:/p                 | /p
			""")
	void makesAUrlNamingABackendAPath(String url, String path) {
		assertThat(this.filter.relative(url)).isEqualTo(path);
	}

	/** A path that browsers would read as another site's address ({@code //host/}) stays a path on the balancer. */
	@ParameterizedTest
	@CsvSource(delimiter = '|', quoteCharacter = '`', textBlock = """
			http://10.0.0.5:8081//evil.example/x/   | /.//evil.example/x/
			http://10.0.0.5:8081/\\evil.example     | /./\\evil.example
			`http://10.0.0.5:8081/\t/evil.example`  | `/./\t/evil.example`
			http://10.0.0.5:8081///x                | /.///x
			http://10.0.0.5:8081/x//y               | /x//y
			""")
	void keepsAPathThatReadsAsAnotherSiteOnTheBalancer(String url, String path) {
		assertThat(this.filter.relative(url)).isEqualTo(path);
	}

	@ParameterizedTest
	@ValueSource(strings = { "/already/relative", "login", "//10.0.0.5:8081/scheme-relative",
			"https://10.0.0.5:8081/other-scheme", "http://10.0.0.5:8082/other-port", "http://10.0.0.6:8081/other-host",
			"http://api.internal/plain-http-not-https", "https://accounts.example/oauth?redirect=http://10.0.0.5:8081/",
			"http://user@10.0.0.5:8081/userinfo", "http://10.0.0.5:80819/five-digits-and-more",
			"http://10.0.0.5:port/", "ftp://10.0.0.5:8081/", "http:///no-host", "mailto:ops@example.org" })
	void leavesAnyOtherUrlAlone(String url) {
		assertThat(this.filter.relative(url)).isNull();
	}

	@Test
	void rewritesLocationInTheResponseCopyItIsHanded() {
		NettyHeaders response = new NettyHeaders(new DefaultHttpHeaders());
		response.add(HttpHeaders.LOCATION, "http://10.0.0.5:8081/login");
		response.add("X-Kept", "1");

		HttpHeaders filtered = this.filter.filter(response, this.exchange);

		assertThat(filtered).isSameAs(response);
		assertThat(filtered.get(HttpHeaders.LOCATION)).containsExactly("/login");
		assertThat(filtered.get("X-Kept")).containsExactly("1");
	}

	@Test
	void copiesHeadersOfAnyOtherKindRatherThanChangeThem() {
		HttpHeaders response = new HttpHeaders();
		response.add(HttpHeaders.LOCATION, "http://10.0.0.5:8081/login");

		HttpHeaders filtered = this.filter.filter(response, this.exchange);

		assertThat(filtered.get(HttpHeaders.LOCATION)).containsExactly("/login");
		assertThat(response.get(HttpHeaders.LOCATION)).containsExactly("http://10.0.0.5:8081/login");
	}

	@ParameterizedTest
	@CsvSource(delimiter = '|', quoteCharacter = '`', textBlock = """
			0; url=http://10.0.0.5:8081/next     | 0; url=/next
			5;URL='http://10.0.0.5:8081/next?a'  | 5;URL='/next?a'
			3; url="http://10.0.0.5:8081"        | 3; url="/"
			""")
	void rewritesTheUrlOfARefresh(String refresh, String rewritten) {
		HttpHeaders response = new HttpHeaders();
		response.add("Refresh", refresh);

		assertThat(this.filter.filter(response, this.exchange).getFirst("Refresh")).isEqualTo(rewritten);
	}

	@ParameterizedTest
	@ValueSource(strings = { "5", "0; url=https://example.org/", "0; url=/next" })
	void leavesARefreshWithoutABackendUrlAlone(String refresh) {
		HttpHeaders response = new HttpHeaders();
		response.add("Refresh", refresh);

		assertThat(this.filter.filter(response, this.exchange)).isSameAs(response);
	}

	@Test
	void passesResponsesWithoutARedirectOnUncopied() {
		HttpHeaders response = new HttpHeaders();
		response.add(HttpHeaders.CONTENT_TYPE, "text/plain");
		HttpHeaders elsewhere = new HttpHeaders();
		elsewhere.add(HttpHeaders.LOCATION, "https://example.org/");

		assertThat(this.filter.filter(response, this.exchange)).isSameAs(response);
		assertThat(this.filter.filter(elsewhere, this.exchange)).isSameAs(elsewhere);
	}

	@Test
	void appliesToResponsesOnly() {
		assertThat(this.filter.supports(Type.RESPONSE)).isTrue();
		assertThat(this.filter.supports(Type.REQUEST)).isFalse();
	}

}
