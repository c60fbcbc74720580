package dev.balancer.routing;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;

import com.sun.net.httpserver.Headers;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Mono;
import reactor.netty.Connection;
import reactor.netty.http.client.HttpClient;
import reactor.netty.resources.ConnectionProvider;

import org.springframework.beans.factory.ObjectProvider;
import org.springframework.cloud.gateway.config.HttpClientProperties;
import org.springframework.cloud.gateway.filter.GatewayFilterChain;
import org.springframework.cloud.gateway.filter.NettyRoutingFilter;
import org.springframework.cloud.gateway.filter.headers.HttpHeadersFilter;
import org.springframework.cloud.gateway.filter.headers.RemoveHopByHopHeadersFilter;
import org.springframework.cloud.gateway.route.Route;
import org.springframework.cloud.gateway.support.RouteMetadataUtils;
import org.springframework.cloud.gateway.support.ServerWebExchangeUtils;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.http.HttpStatusCode;
import org.springframework.http.support.Netty4HeadersAdapter;
import org.springframework.mock.http.server.reactive.MockServerHttpRequest;
import org.springframework.mock.web.server.MockServerWebExchange;
import org.springframework.web.server.ResponseStatusException;
import org.springframework.web.server.ServerWebExchange;

import static dev.balancer.routing.HeadersByName.byName;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The lean routing filter against the gateway's {@link NettyRoutingFilter}, each sending the same exchange to a
 * real backend on 127.0.0.1: what the backend receives, and the status, headers, attributes and body the exchange
 * gets back, must be the same. That the balancer uses it: {@code ProxyIntegrationTests}.
 */
class LeanNettyRoutingFilterTests {

	static HttpServer backend;

	/** What the backend received, one request each. */
	static final List<Received> received = new CopyOnWriteArrayList<>();

	static final ConnectionProvider pool = ConnectionProvider.create("lean-routing-tests", 4);

	final HttpClient client = HttpClient.create(pool);

	final HttpClientProperties properties = new HttpClientProperties();

	/** The balancer's header filters, in the gateway's order; a test may add a developer's. */
	final List<HttpHeadersFilter> headersFilters = new ArrayList<>(List.of(
			new LeanHopByHopHeadersFilter(new RemoveHopByHopHeadersFilter()), new LeanGrpcRequestHeadersFilter(),
			new ForwardingHeadersFilter(List.of())));

	final NettyRoutingFilter gateway = new NettyRoutingFilter(this.client, provider(this.headersFilters),
			this.properties);

	final LeanNettyRoutingFilter lean = new LeanNettyRoutingFilter(this.client, provider(this.headersFilters),
			this.properties);

	@BeforeAll
	static void startBackend() throws IOException {
		backend = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 16);
		backend.setExecutor(Executors.newCachedThreadPool());
		backend.createContext("/", LeanNettyRoutingFilterTests::answer);
		backend.start();
	}

	/**
	 * Records the request, then answers by path: {@code /slow} after 2 s, {@code /teapot} with a status without a
	 * name, anything else with repeated, mixed-case and hop-by-hop headers.
	 */
	static void answer(HttpExchange exchange) throws IOException {
		try (exchange) {
			List<Map.Entry<String, String>> headers = new ArrayList<>();
			exchange.getRequestHeaders()
				.forEach((name, values) -> values.forEach(value -> headers.add(Map.entry(name, value))));
			String body = new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
			received.add(new Received(exchange.getRequestURI().toString(), headers, body));
			String path = exchange.getRequestURI().getPath();
			Headers response = exchange.getResponseHeaders();
			byte[] answer;
			if (path.endsWith("/slow")) {
				Thread.sleep(2000);
				answer = new byte[0];
			}
			else if (path.endsWith("/teapot")) {
				response.add("X-Odd", "1");
				answer = "odd".getBytes(StandardCharsets.UTF_8);
			}
			else {
				response.add("Content-Type", "text/plain;charset=UTF-8");
				response.add("Set-Cookie", "a=1");
				response.add("X-Multi", "one");
				response.add("set-cookie", "b=2");
				response.add("x-multi", "two");
				response.add("Keep-Alive", "timeout=5");
				response.add("Connection", "keep-alive, X-Hop");
				response.add("X-Hop", "gone");
				answer = "hello".getBytes(StandardCharsets.UTF_8);
			}
			exchange.sendResponseHeaders(path.endsWith("/teapot") ? 299 : 201, (answer.length > 0) ? answer.length : -1);
			exchange.getResponseBody().write(answer);
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
		}
	}

	@AfterAll
	static void stopBackend() {
		backend.stop(0);
		pool.disposeLater().block(Duration.ofSeconds(5));
	}

	@BeforeEach
	void clear() {
		received.clear();
	}

	@Test
	void sendsTheSameRequestAndGivesTheSameResponseAsTheGatewaysFilter() {
		Result viaGateway = send(this.gateway, request("/a/headers?x=1&x=2"), route(Map.of()));
		Result viaLean = send(this.lean, request("/a/headers?x=1&x=2"), route(Map.of()));

		assertThat(viaLean.received().uri()).isEqualTo("/a/headers?x=1&x=2");
		assertThat(byName(viaLean.received().headers()))
			.isEqualTo(asTheClientSentThem(viaGateway.received().headers()))
			.containsEntry("x-repeated", List.of("1", "2", "3"))
			.containsEntry("x-forwarded-for", List.of("10.0.0.7"))
			.containsEntry("host", List.of("127.0.0.1:" + backend.getAddress().getPort()))
			.doesNotContainKeys("keep-alive", "x-hop-request");
		assertThat(viaLean.received().body()).isEqualTo(viaGateway.received().body()).isEqualTo("the body");

		assertThat(viaLean.status()).isEqualTo(viaGateway.status()).isEqualTo(HttpStatus.CREATED);
		assertThat(viaLean.headers()).isEqualTo(viaGateway.headers())
			.containsEntry("set-cookie", List.of("a=1", "b=2"))
			.containsEntry("x-multi", List.of("one", "two"))
			.doesNotContainKeys("keep-alive", "connection", "x-hop");
		assertThat(viaLean.attributes()).isEqualTo(viaGateway.attributes());
		assertThat(viaLean.body()).isEqualTo(viaGateway.body()).isEqualTo("hello");
	}

	/** The comparisons above pass on Spring's way too: the balancer's header filters must keep to Netty's. */
	@Test
	void theBalancersHeaderFiltersHandOnHeadersThatAreCopiedNettysWay() {
		MockServerWebExchange exchange = request("/headers");
		HttpHeaders response = new HttpHeaders();
		response.add("Connection", "close");
		response.add("X-Kept", "1");

		assertThat(HttpHeadersFilter.filterRequest(this.headersFilters, exchange)).isInstanceOf(NettyHeaders.class);
		assertThat(HttpHeadersFilter.filter(this.headersFilters, response, exchange, HttpHeadersFilter.Type.RESPONSE))
			.isInstanceOf(NettyHeaders.class)
			.satisfies((filtered) -> assertThat(byName(filtered)).containsOnlyKeys("x-kept"));
	}

	@Test
	void headersThatADevelopersFilterReturnsAsPlainHttpHeadersAreCopiedTheGatewaysWay() {
		this.headersFilters.add(new HttpHeadersFilter() {
			@Override
			public HttpHeaders filter(HttpHeaders input, ServerWebExchange exchange) {
				HttpHeaders plain = new HttpHeaders();
				plain.addAll(input);
				plain.add("X-Developer", exchange.getRequest().getPath().value());
				return plain;
			}

			@Override
			public boolean supports(Type type) {
				return true;
			}
		});

		Result viaGateway = send(this.gateway, request("/b/headers"), route(Map.of()));
		Result viaLean = send(this.lean, request("/b/headers"), route(Map.of()));

		assertThat(byName(viaLean.received().headers()))
			.isEqualTo(asTheClientSentThem(viaGateway.received().headers()))
			.containsEntry("x-developer", List.of("/b/headers"))
			.containsEntry("x-repeated", List.of("1", "2", "3"));
		assertThat(viaLean.headers()).isEqualTo(viaGateway.headers())
			.containsEntry("x-developer", List.of("/b/headers"))
			.containsEntry("set-cookie", List.of("a=1", "b=2"));
		assertThat(viaLean.attributes()).isEqualTo(viaGateway.attributes());
	}

	@Test
	void aStatusWithoutANameAndAResponseWithoutContentTypeAsWithTheGatewaysFilter() {
		Result viaGateway = send(this.gateway, request("/teapot"), route(Map.of()));
		Result viaLean = send(this.lean, request("/teapot"), route(Map.of()));

		assertThat(viaLean.status()).isEqualTo(viaGateway.status()).isEqualTo(HttpStatusCode.valueOf(299));
		assertThat(viaLean.headers()).isEqualTo(viaGateway.headers())
			.containsEntry("x-odd", List.of("1"))
			.containsEntry("date", List.of("a date"));
		assertThat(viaLean.attributes()).isEqualTo(viaGateway.attributes())
			.doesNotContainKey(ServerWebExchangeUtils.ORIGINAL_RESPONSE_CONTENT_TYPE_ATTR);
		assertThat(viaLean.body()).isEqualTo("odd");
	}

	@Test
	void preservesTheClientsHostWhenTheRouteSaysSo() {
		MockServerWebExchange exchange = request("/headers");
		exchange.getAttributes().put(ServerWebExchangeUtils.PRESERVE_HOST_HEADER_ATTRIBUTE, true);
		MockServerWebExchange gatewayExchange = request("/headers");
		gatewayExchange.getAttributes().put(ServerWebExchangeUtils.PRESERVE_HOST_HEADER_ATTRIBUTE, true);

		Result viaGateway = send(this.gateway, gatewayExchange, route(Map.of()));
		Result viaLean = send(this.lean, exchange, route(Map.of()));

		assertThat(byName(viaLean.received().headers()))
			.isEqualTo(asTheClientSentThem(viaGateway.received().headers()))
			.containsEntry("host", List.of("balancer.example"));
	}

	@Test
	void aRoutesResponseTimeoutEndsTheRequestWith504AsWithTheGatewaysFilter() {
		Route route = route(Map.of(RouteMetadataUtils.RESPONSE_TIMEOUT_ATTR, 100));

		for (NettyRoutingFilter filter : List.of(this.gateway, this.lean)) {
			MockServerWebExchange exchange = request("/slow");
			exchange.getAttributes().put(ServerWebExchangeUtils.GATEWAY_ROUTE_ATTR, route);
			assertThatThrownBy(() -> filter.filter(exchange, chain()).block(Duration.ofSeconds(5)))
				.isInstanceOfSatisfying(ResponseStatusException.class,
						ex -> assertThat(ex.getStatusCode()).isEqualTo(HttpStatus.GATEWAY_TIMEOUT))
				.hasMessageContaining("Response took longer than timeout: PT0.1S");
		}
	}

	@Test
	void theTimeoutInThePropertiesCountsUnlessTheRouteTurnsItOff() {
		this.properties.setResponseTimeout(Duration.ofMillis(100));

		assertThatThrownBy(() -> this.lean.filter(request("/slow"), chain()).block(Duration.ofSeconds(5)))
			.isInstanceOf(ResponseStatusException.class);
		Result untimed = send(this.lean, request("/slow"), route(Map.of(RouteMetadataUtils.RESPONSE_TIMEOUT_ATTR, -1)));
		assertThat(untimed.status()).isEqualTo(HttpStatus.CREATED);
	}

	@Test
	void leavesExchangesAlreadyRoutedOrForOtherSchemesToTheChain() {
		MockServerWebExchange routed = request("/headers");
		ServerWebExchangeUtils.setAlreadyRouted(routed);
		MockServerWebExchange forward = request("/headers");
		forward.getAttributes().put(ServerWebExchangeUtils.GATEWAY_ROUTE_ATTR, route(Map.of()));
		forward.getAttributes().put(ServerWebExchangeUtils.GATEWAY_REQUEST_URL_ATTR, URI.create("forward:/local"));
		List<ServerWebExchange> passedOn = new ArrayList<>();

		for (MockServerWebExchange exchange : List.of(routed, forward)) {
			this.lean.filter(exchange, e -> Mono.fromRunnable(() -> passedOn.add(e))).block(Duration.ofSeconds(5));
		}

		assertThat(passedOn).containsExactly(routed, forward);
		assertThat(received).isEmpty();
	}

	/**
	 * The comparisons above pass on Spring's way too. Netty's way copies entry by entry, so a name's casings and
	 * the order between names stay as they were; Spring's way groups every name's values under its first casing.
	 */
	@Test
	void headersOverNettysAreCopiedEntryByEntryBothWays() {
		NettyHeaders filtered = new NettyHeaders(new DefaultHttpHeaders());
		filtered.netty().add("Set-Cookie", "a=1").add("X-B", "1").add("set-cookie", "b=2").add("Host", "client");
		DefaultHttpHeaders backendRequest = new DefaultHttpHeaders();
		DefaultHttpHeaders response = new DefaultHttpHeaders();

		LeanNettyRoutingFilter.requestHeaders(filtered, null, backendRequest);
		Set<String> names = LeanNettyRoutingFilter.responseHeaders(filtered,
				new HttpHeaders(new Netty4HeadersAdapter(response)));

		// the Host is the backend's, left to the URL
		assertThat(lines(backendRequest)).containsExactly("Set-Cookie: a=1", "X-B: 1", "set-cookie: b=2");
		assertThat(lines(response)).containsExactly("Set-Cookie: a=1", "X-B: 1", "set-cookie: b=2", "Host: client");
		assertThat(lowerCase(names)).containsExactly("host", "set-cookie", "x-b");
	}

	static List<String> lines(io.netty.handler.codec.http.HttpHeaders headers) {
		List<String> lines = new ArrayList<>();
		headers.forEach((header) -> lines.add(header.getKey() + ": " + header.getValue()));
		return lines;
	}

	@Test
	void aRetryRemovesTheBackendsResponseHeadersAgain() {
		MockServerWebExchange exchange = request("/headers");
		exchange.getResponse().getHeaders().add("X-Set-Before", "kept");
		Result viaLean = send(this.lean, exchange, route(Map.of()));
		assertThat(viaLean.headers()).containsKeys("set-cookie", "x-multi", "x-set-before");

		ServerWebExchangeUtils.reset(exchange);

		assertThat(exchange.getResponse().getHeaders().headerNames()).containsExactly("X-Set-Before");
		assertThat(ServerWebExchangeUtils.isAlreadyRouted(exchange)).isFalse();
	}

	/**
	 * What the gateway's filter sends, less the {@code User-Agent: ReactorNetty/...} and {@code Accept: *}{@code /*}
	 * that Reactor Netty's client adds where the client sent none: the lean filter takes those back.
	 */
	private static Map<String, List<String>> asTheClientSentThem(List<Map.Entry<String, String>> gatewaySent) {
		Map<String, List<String>> byName = byName(gatewaySent);
		assertThat(byName.get("user-agent")).singleElement().asString().startsWith("ReactorNetty/");
		assertThat(byName.remove("accept")).containsExactly("*/*");
		byName.remove("user-agent");
		return byName;
	}

	/**
	 * A request with repeated, hop-by-hop and client-made forwarding headers, and a chunked body; no
	 * {@code User-Agent} or {@code Accept}.
	 */
	MockServerWebExchange request(String path) {
		MockServerHttpRequest request = MockServerHttpRequest.post("http://balancer.example" + path)
			.remoteAddress(new InetSocketAddress("10.0.0.7", 50000))
			.header("Host", "balancer.example")
			.header("X-Repeated", "1", "2")
			.header("Keep-Alive", "timeout=5")
			.header("Connection", "keep-alive, X-Hop-Request")
			.header("X-Hop-Request", "gone")
			.header("x-repeated", "3")
			.header("X-Forwarded-For", "6.6.6.6")
			.header("Transfer-Encoding", "chunked")
			.body("the body");
		MockServerWebExchange exchange = MockServerWebExchange.from(request);
		URI url = URI.create("http://127.0.0.1:" + backend.getAddress().getPort() + request.getURI().getRawPath()
				+ ((request.getURI().getRawQuery() != null) ? "?" + request.getURI().getRawQuery() : ""));
		exchange.getAttributes().put(ServerWebExchangeUtils.GATEWAY_REQUEST_URL_ATTR, url);
		exchange.getAttributes().put(ServerWebExchangeUtils.GATEWAY_ROUTE_ATTR, route(Map.of()));
		return exchange;
	}

	static Route route(Map<String, Object> metadata) {
		return Route.async()
			.id("backends")
			.uri(URI.create("lb://backends"))
			.predicate(exchange -> true)
			.metadata(metadata)
			.build();
	}

	/** Routes the exchange, then reads the backend's body from the connection the filter left for the writer. */
	Result send(NettyRoutingFilter filter, MockServerWebExchange exchange, Route route) {
		exchange.getAttributes().put(ServerWebExchangeUtils.GATEWAY_ROUTE_ATTR, route);
		filter.filter(exchange, chain()).block(Duration.ofSeconds(5));
		Connection connection = exchange.getRequiredAttribute(ServerWebExchangeUtils.CLIENT_RESPONSE_CONN_ATTR);
		String body = connection.inbound().receive().aggregate().asString(StandardCharsets.UTF_8).defaultIfEmpty("")
			.block(Duration.ofSeconds(5));
		Map<String, List<String>> headers = byName(exchange.getResponse().getHeaders());
		// The backend stamps its Date to the second, and the two filters' requests can fall either side of a tick.
		headers.computeIfPresent("date", (name, values) -> List.of("a date"));
		Map<String, Object> attributes = new LinkedHashMap<>();
		attributes.put("content type", exchange.getAttribute(ServerWebExchangeUtils.ORIGINAL_RESPONSE_CONTENT_TYPE_ATTR));
		Set<String> names = exchange.getRequiredAttribute(ServerWebExchangeUtils.CLIENT_RESPONSE_HEADER_NAMES);
		attributes.put("header names", lowerCase(names));
		attributes.put("client response", exchange.getAttribute(ServerWebExchangeUtils.CLIENT_RESPONSE_ATTR) != null);
		return new Result(received.get(received.size() - 1), exchange.getResponse().getStatusCode(), headers,
				attributes, body);
	}

	static GatewayFilterChain chain() {
		return exchange -> Mono.empty();
	}

	static Set<String> lowerCase(Set<String> names) {
		Set<String> lower = new TreeSet<>();
		names.forEach(name -> lower.add(name.toLowerCase(Locale.ROOT)));
		return lower;
	}

	static <T> ObjectProvider<T> provider(T value) {
		return new ObjectProvider<>() {
			@Override
			public T getObject() {
				return value;
			}

			@Override
			public T getIfAvailable() {
				return value;
			}
		};
	}

	record Received(String uri, List<Map.Entry<String, String>> headers, String body) {
	}

	record Result(Received received, HttpStatusCode status, Map<String, List<String>> headers,
			Map<String, Object> attributes, String body) {
	}

}
