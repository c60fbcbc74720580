package dev.balancer.routing;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CopyOnWriteArrayList;

import io.netty.channel.Channel;
import io.netty.channel.EventLoopGroup;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.extension.ExtendWith;
import reactor.netty.http.client.HttpClient;
import reactor.netty.http.server.HttpServer;

import dev.balancer.support.BalancerTestProperties;
import dev.balancer.support.RawRequests;
import dev.balancer.support.TestBackend;
import dev.balancer.support.TestBackend.RecordedRequest;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.reactor.netty.NettyServerCustomizer;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.context.SpringBootTest.WebEnvironment;
import org.springframework.boot.test.context.TestConfiguration;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.boot.webtestclient.autoconfigure.AutoConfigureWebTestClient;
import org.springframework.cloud.client.loadbalancer.LoadBalancerLifecycle;
import org.springframework.cloud.gateway.filter.GlobalFilter;
import org.springframework.cloud.gateway.filter.NettyRoutingFilter;
import org.springframework.cloud.gateway.filter.headers.GRPCRequestHeadersFilter;
import org.springframework.cloud.gateway.filter.headers.HttpHeadersFilter;
import org.springframework.cloud.gateway.filter.headers.RemoveHopByHopHeadersFilter;
import org.springframework.cloud.gateway.handler.FilteringWebHandler;
import org.springframework.cloud.gateway.route.Route;
import org.springframework.cloud.loadbalancer.support.LoadBalancerClientFactory;
import org.springframework.context.annotation.Bean;
import org.springframework.http.HttpMethod;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.client.ReactorResourceFactory;
import org.springframework.test.annotation.DirtiesContext;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import org.springframework.test.util.ReflectionTestUtils;
import org.springframework.test.web.reactive.server.WebTestClient;

import static org.assertj.core.api.Assertions.assertThat;

/** Requests go through the real gateway to three real backends, in rotation and unchanged. */
@SpringBootTest(webEnvironment = WebEnvironment.RANDOM_PORT)
@AutoConfigureWebTestClient
@DirtiesContext // stops its health checker and frees its ports; no other test class shares this context
@ExtendWith(OutputCaptureExtension.class)
class ProxyIntegrationTests {

	static final List<TestBackend> backends = List.of(TestBackend.start("one"), TestBackend.start("two"),
			TestBackend.start("three"));

	@DynamicPropertySource
	static void balancer(DynamicPropertyRegistry registry) {
		BalancerTestProperties.register(registry, backends);
	}

	@AfterAll
	static void stopBackends() {
		backends.forEach(TestBackend::stop);
	}

	@Autowired
	WebTestClient client;

	@LocalServerPort
	int port;

	@Autowired
	List<HttpHeadersFilter> headersFilters;

	@Autowired
	LoadBalancerClientFactory clientFactory;

	@Autowired
	FilteringWebHandler filteringWebHandler;

	@BeforeEach
	void clearBackends() {
		backends.forEach(TestBackend::clear);
	}

	@Test
	void sixRequestsVisitEachBackendTwiceInStrictRotation() {
		List<String> answers = new ArrayList<>();
		for (int i = 0; i < 6; i++) {
			answers.add(get("/"));
		}
		// Other tests move the shared counter, so the rotation may start at any backend.
		assertThat(answers.subList(0, 3)).containsExactlyInAnyOrder("one", "two", "three");
		assertThat(answers.subList(3, 6)).isEqualTo(answers.subList(0, 3));
	}

	@Test
	void forwardsMethodPathQueryHeadersAndMebibyteBodyUnchanged() {
		byte[] body = new byte[1024 * 1024];
		new Random(42).nextBytes(body);

		this.client.post()
			.uri(URI.create("http://localhost:" + this.port + "/api/items/42?a=1&b=two%20words&c"))
			.contentType(MediaType.APPLICATION_OCTET_STREAM)
			.header("X-Custom", "kept as is")
			.header("Authorization", "Bearer token")
			.bodyValue(body)
			.exchange()
			.expectStatus()
			.isOk();

		RecordedRequest received = onlyRequest();
		assertThat(received.method()).isEqualTo("POST");
		assertThat(received.path()).isEqualTo("/api/items/42");
		assertThat(received.query()).isEqualTo("a=1&b=two%20words&c");
		assertThat(received.header("X-Custom")).isEqualTo("kept as is");
		assertThat(received.header("Authorization")).isEqualTo("Bearer token");
		assertThat(received.header("Content-Type")).isEqualTo("application/octet-stream");
		assertThat(received.body()).isEqualTo(body);
	}

	/**
	 * The gateway's own URL steps rebuild the query from its parameters (repeated ones grouped, empty ones
	 * dropped) and merge double slashes; nginx and HAProxy pass both as sent, and so must the balancer.
	 */
	@Test
	void pathAndQueryReachTheBackendExactlyAsSent() {
		String path = "/a//b;v=1/%2F/caf%C3%A9";
		String query = "a=1&b=2&a=3&&=x&c=%2F&d=a+b&e=";

		this.client.get()
			.uri(URI.create("http://localhost:" + this.port + path + "?" + query))
			.exchange()
			.expectStatus()
			.isOk();

		RecordedRequest received = onlyRequest();
		assertThat(received.path()).isEqualTo(path);
		assertThat(received.query()).isEqualTo(query);
	}

	/**
	 * Clients send raw UTF-8 and characters such as {@code |} and {@code {}} in targets (curl does, as typed), and
	 * nginx proxies them. Spring refused those with an empty 400 and, as Netty reads the request line byte by byte,
	 * a raw {@code é} reached the backend as {@code %C3%83%C2%A9}.
	 */
	@Test
	void aTargetWithRawBytesAndCharactersAUriMayNotHoldReachesTheBackendPercentEncoded() throws IOException {
		String target = "/caf\u00c3\u00a9/[1]?q=caf\u00c3\u00a9&m=a|b&j={\"k\":[1]}&e=%C3%A9";

		assertThat(RawRequests.statusLine(this.port,
				"GET " + target + " HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"))
			.isEqualTo("HTTP/1.1 200 OK");

		RecordedRequest received = onlyRequest();
		assertThat(received.path()).isEqualTo("/caf%C3%A9/%5B1%5D");
		assertThat(received.query()).isEqualTo("q=caf%C3%A9&m=a%7Cb&j=%7B%22k%22:[1]%7D&e=%C3%A9");
	}

	/**
	 * Reactor Netty's client adds {@code User-Agent: ReactorNetty/...} and {@code Accept: *}{@code /*} where the
	 * client sent none, and frames a POST without a body as an empty chunked one.
	 */
	@Test
	void theBackendGetsNoHeadersTheClientDidNotSendAndNoBodyWhereItSentNone() throws IOException {
		assertThat(RawRequests.statusLine(this.port,
				"GET /bare HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")).isEqualTo("HTTP/1.1 200 OK");
		RecordedRequest bare = onlyRequest();
		assertThat(bare.header("User-Agent")).isNull();
		assertThat(bare.header("Accept")).isNull();

		backends.forEach(TestBackend::clear);
		assertThat(RawRequests.statusLine(this.port, "GET /dressed HTTP/1.1\r\nHost: localhost\r\nUser-Agent: mine/1"
				+ "\r\nAccept: text/html\r\nConnection: close\r\n\r\n")).isEqualTo("HTTP/1.1 200 OK");
		RecordedRequest dressed = onlyRequest();
		assertThat(dressed.header("User-Agent")).isEqualTo("mine/1");
		assertThat(dressed.header("Accept")).isEqualTo("text/html");

		for (String method : List.of("POST", "PUT", "PATCH", "OPTIONS", "DELETE")) {
			backends.forEach(TestBackend::clear);
			assertThat(RawRequests.statusLine(this.port,
					method + " /no-body HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")).as(method)
				.isEqualTo("HTTP/1.1 200 OK");
			RecordedRequest received = onlyRequest();
			assertThat(received.header("Transfer-Encoding")).as(method).isNull();
			assertThat(received.header("Content-Length")).as(method)
				.isEqualTo(List.of("POST", "PUT", "PATCH").contains(method) ? "0" : null);
			assertThat(received.bodyLength()).as(method).isZero();
		}
	}

	@Test
	void aTargetWithAMalformedEscapeIsABadRequest() throws IOException {
		assertThat(RawRequests.untilClosed(this.port, "GET /50%off HTTP/1.1\r\nHost: localhost\r\n\r\n"))
			.startsWith("HTTP/1.1 400 Bad Request\r\n")
			.endsWith("{\"status\":400,\"error\":\"Bad Request\",\"message\":\"The request is not valid HTTP: "
					+ "a malformed percent-escape in the request target\"}");
		assertThat(backends).allMatch((backend) -> backend.requests().isEmpty());
	}

	/**
	 * Reactor Netty answered these with an empty body and logged each at WARN over several lines, the request's
	 * head included.
	 */
	@Test
	void aRequestThatIsNotValidHttpGetsAJsonAnswerAndOneInfoLine(CapturedOutput output) throws IOException {
		String answer = RawRequests.untilClosed(this.port,
				"GET /smuggle HTTP/1.1\r\nHost: localhost\r\nContent-Length: +3\r\n\r\nabc");

		assertThat(answer).startsWith("HTTP/1.1 400 Bad Request\r\n")
			.containsIgnoringCase("\r\nContent-Type: application/json\r\n")
			.endsWith("{\"status\":400,\"error\":\"Bad Request\",\"message\":\"The request is not valid HTTP: "
					+ "Content-Length value is not a number: +3\"}");
		assertThat(RawRequests.untilClosed(this.port,
				"GET / HTTP/1.1\r\nHost: localhost\r\nX-Big: " + "a".repeat(33 * 1024) + "\r\n\r\n"))
			.startsWith("HTTP/1.1 431 Request Header Fields Too Large\r\n");
		assertThat(backends).allMatch((backend) -> backend.requests().isEmpty());
		assertThat(output.getOut().lines().filter((line) -> line.contains("not valid HTTP")))
			.satisfiesExactly((line) -> assertThat(line).contains(" INFO ", "answered 400 to /127.0.0.1:",
					"a request that is not valid HTTP: Content-Length value is not a number: +3"),
					(line) -> assertThat(line).contains(" INFO ", "answered 431 to /127.0.0.1:",
							"(limit: server.max-http-request-header-size)"));
		assertThat(output.getOut()).doesNotContain("Decoding failed").doesNotContain("HttpServerOperations");
	}

	/**
	 * Spring Boot's limits (4 KB for the request line, 8 KB for the headers) refused URLs and cookies that nginx,
	 * in front of the same backends, passes: the balancer takes nginx's.
	 */
	@Test
	void requestLinesUpTo8KbAndHeadersUpTo32KbAreProxied() throws IOException {
		String path = "/search/" + "p".repeat(8 * 1024 - 100);
		String cookie = "c".repeat(28 * 1024);

		assertThat(RawRequests.response(this.port, "GET " + path + " HTTP/1.1\r\nHost: localhost\r\nCookie: "
				+ cookie + "\r\nConnection: close\r\n\r\n"))
			.startsWith("HTTP/1.1 200 OK\r\n");
		RecordedRequest received = onlyRequest();
		assertThat(received.path()).isEqualTo(path);
		assertThat(received.header("Cookie")).isEqualTo(cookie);

		assertThat(RawRequests.untilClosed(this.port,
				"GET /" + "p".repeat(8 * 1024) + " HTTP/1.1\r\nHost: localhost\r\n\r\n"))
			.startsWith("HTTP/1.1 414 URI Too Long\r\n")
			.endsWith("An HTTP line is larger than 8192 bytes.\"}");
		assertThat(backends).allMatch((backend) -> backend.requests().size() <= 1);
	}

	/**
	 * Passed on, the backend got {@code X-Forwarded-Host: localhost} for a request without a Host header, the first
	 * of two, or the client's invalid value.
	 */
	@Test
	void aRequestWithoutOneValidHostHeaderIsABadRequestAndNeverSentOn() throws IOException {
		for (String hosts : List.of("", "Host: a.example\r\nHost: b.example\r\n", "Host: a b\r\n")) {
			assertThat(RawRequests.untilClosed(this.port, "GET /host HTTP/1.1\r\n" + hosts + "\r\n")).as(hosts)
				.startsWith("HTTP/1.1 400 Bad Request\r\n")
				.contains("\"message\":\"The request is not valid HTTP: ");
		}
		assertThat(backends).allMatch((backend) -> backend.requests().isEmpty());

		assertThat(RawRequests.statusLine(this.port, "GET /host HTTP/1.0\r\n\r\n")).isEqualTo("HTTP/1.0 200 OK");
		assertThat(RawRequests.statusLine(this.port, "GET /host HTTP/1.1\r\nHost:\r\nConnection: close\r\n\r\n"))
			.isEqualTo("HTTP/1.1 200 OK");
		// No Host to tell the backend of: none is made up (it was the balancer's own address, localhost:<port>).
		assertThat(backends.stream().flatMap((backend) -> backend.requests().stream()))
			.hasSize(2)
			.allSatisfy((received) -> assertThat(received.header("X-Forwarded-Host")).isNull());
	}

	/** Spring took the Host header's host; RFC 9112 (3.2.2), nginx and Go take the target's. */
	@Test
	void theHostOfAnAbsoluteFormTargetIsTheOneTheBackendIsTold() throws IOException {
		assertThat(RawRequests.statusLine(this.port, "GET http://api.example:8080/abs?x=1 HTTP/1.1\r\n"
				+ "Host: other.example\r\nConnection: close\r\n\r\n"))
			.isEqualTo("HTTP/1.1 200 OK");

		RecordedRequest received = onlyRequest();
		assertThat(received.path()).isEqualTo("/abs");
		assertThat(received.query()).isEqualTo("x=1");
		assertThat(received.header("X-Forwarded-Host")).isEqualTo("api.example:8080");
	}

	/** Sent on, {@code OPTIONS *}, a question about the server, reached the backend as one about its root resource. */
	@Test
	void optionsForTheWholeServerIsAnsweredByTheBalancer() throws IOException {
		assertThat(RawRequests.untilClosed(this.port, "OPTIONS * HTTP/1.1\r\nHost: localhost\r\n\r\n"))
			.matches("HTTP/1\\.1 200 OK\r\ncontent-length: 0\r\ndate: [^\r]+ GMT\r\nconnection: close\r\n\r\n");
		assertThat(backends).allMatch((backend) -> backend.requests().isEmpty());
	}

	/**
	 * Sent on, a CONNECT got the backend's 200 head without its body, and waited for the idle timeout; a TRACE echoed
	 * the request with the headers the balancer adds (nginx refuses it as well).
	 */
	@ParameterizedTest
	@CsvSource({ "CONNECT, example.com:443", "TRACE, /echo" })
	void aMethodTheBalancerDoesNotProxyIsAnsweredAtOnceWithA405AndNeverSentOn(String method, String target)
			throws IOException {
		String response = RawRequests.response(this.port,
				method + " " + target + " HTTP/1.1\r\nHost: localhost\r\nCookie: session=1\r\n\r\n");

		assertThat(response).startsWith("HTTP/1.1 405 Method Not Allowed\r\n")
			.containsPattern("(?i)\r\nallow: GET,HEAD,POST,PUT,PATCH,DELETE,OPTIONS\r\n")
			.contains("\r\nContent-Type: application/json\r\n")
			.endsWith("{\"status\":405,\"error\":\"Method Not Allowed\","
					+ "\"message\":\"Request method '" + method + "' is not supported.\"}");
		assertThat(backends).allMatch((backend) -> backend.requests().isEmpty());
	}

	/**
	 * Netty takes any word for a target, and Spring made a URL of these behind the client's {@code Host}; the
	 * backend's host replaced only part of it ({@code 127.0.0.1:8081#x}, {@code a@127.0.0.1}), the connection
	 * failed, and the backend was marked DOWN: one request took a backend out of rotation.
	 */
	@ParameterizedTest
	@ValueSource(strings = { "#x", "@127.0.0.1:1/", "x", "?a=1", "*" })
	void aTargetThatIsNeitherAPathNorAnAbsoluteUrlIsA400AndTakesNoBackendOutOfRotation(String target,
			CapturedOutput output) throws IOException {
		String response = RawRequests.response(this.port, "GET " + target + " HTTP/1.1\r\nHost: a\r\n\r\n");

		assertThat(response).startsWith("HTTP/1.1 400 Bad Request\r\n")
			.endsWith("\"message\":\"The request is not valid HTTP: a request target that is neither a path "
					+ "starting with / nor an absolute URL\"}");
		assertThat(backends).allMatch((backend) -> backend.requests().isEmpty());
		for (int i = 0; i < backends.size(); i++) {
			this.client.get().uri("/after").exchange().expectStatus().isOk();
		}
		assertThat(backends).allMatch((backend) -> backend.requests().size() == 1);
		assertThat(output.getOut()).doesNotContain(" DOWN");
	}

	@Test
	void everyMethodReachesTheBackendAsSent() {
		List<HttpMethod> methods = List.of(HttpMethod.GET, HttpMethod.HEAD, HttpMethod.PUT, HttpMethod.DELETE,
				HttpMethod.PATCH, HttpMethod.OPTIONS, HttpMethod.POST);
		for (HttpMethod method : methods) {
			this.client.method(method).uri("/m").exchange().expectStatus().isOk();
		}
		List<String> received = backends.stream()
			.flatMap((backend) -> backend.requests().stream())
			.map(RecordedRequest::method)
			.toList();
		assertThat(received).containsExactlyInAnyOrderElementsOf(methods.stream().map(HttpMethod::name).toList());
	}

	@Test
	void addsForwardedHeadersAndReplacesThoseTheClientMadeUp() {
		this.client.get()
			.uri("/who")
			.header("X-Forwarded-For", "6.6.6.6")
			.header("X-Forwarded-Host", "evil.example")
			.header("Forwarded", "for=6.6.6.6")
			.exchange()
			.expectStatus()
			.isOk();

		RecordedRequest received = onlyRequest();
		assertThat(received.header("X-Forwarded-For")).isEqualTo("127.0.0.1");
		assertThat(received.header("X-Forwarded-Proto")).isEqualTo("http");
		assertThat(received.header("X-Forwarded-Host")).isEqualTo("localhost:" + this.port);
		assertThat(received.header("Forwarded")).isNull();
		assertThat(received.header("Host")).isEqualTo("127.0.0.1:" + backendPort(received));
	}

	@Test
	void dropsHopByHopHeadersAndTheOnesConnectionNames() throws IOException {
		// A raw request: HTTP clients rewrite the Connection header themselves.
		assertThat(RawRequests.statusLine(this.port,
				"GET /hop HTTP/1.1\r\nHost: localhost\r\nConnection: close, X-Hop-Secret\r\n"
				+ "X-Hop-Secret: 1\r\nKeep-Alive: timeout=5\r\nProxy-Authorization: Basic eDp5\r\n"
				+ "X-Custom: kept\r\n\r\n"))
			.isEqualTo("HTTP/1.1 200 OK");

		RecordedRequest received = onlyRequest();
		assertThat(received.header("X-Custom")).isEqualTo("kept");
		assertThat(received.header("X-Hop-Secret")).isNull();
		assertThat(received.header("Keep-Alive")).isNull();
		assertThat(received.header("Proxy-Authorization")).isNull();
		// The gateway's own filter does the same, slower: the balancer's replaces it.
		assertThat(this.headersFilters).hasAtLeastOneElementOfType(LeanHopByHopHeadersFilter.class)
			.noneMatch((filter) -> filter.getClass() == RemoveHopByHopHeadersFilter.class);
	}

	@Test
	void theBackendsStatusAndResponseHeadersReachTheClient(@Autowired List<GlobalFilter> globalFilters) {
		backends.forEach((backend) -> backend.status(203));
		try {
			this.client.get()
				.uri("/answer")
				.exchange()
				.expectStatus()
				.isEqualTo(HttpStatus.NON_AUTHORITATIVE_INFORMATION)
				.expectHeader()
				.valueMatches("X-Backend", "one|two|three")
				.expectHeader()
				.contentType("text/plain")
				.expectBody(String.class)
				.value((body) -> assertThat(body).isIn("one", "two", "three"));
		}
		finally {
			backends.forEach((backend) -> backend.status(200));
		}
		// The gateway's own routing filter copies every request's and response's headers several times: the
		// balancer's replaces it.
		assertThat(globalFilters).hasAtLeastOneElementOfType(LeanNettyRoutingFilter.class)
			.noneMatch((filter) -> filter.getClass() == NettyRoutingFilter.class);
	}

	@Test
	void aGrpcRequestReachesTheBackendAskingForTrailers() {
		this.client.post().uri("/grpc.Service/Call").header("Content-Type", "application/grpc").bodyValue("x")
			.exchange().expectStatus().isOk();
		this.client.post().uri("/plain").header("Content-Type", "text/plain").bodyValue("x")
			.exchange().expectStatus().isOk();

		List<RecordedRequest> received = backends.stream().flatMap((backend) -> backend.requests().stream())
			.toList();
		assertThat(received).hasSize(2);
		assertThat(received).filteredOn((request) -> request.path().equals("/grpc.Service/Call")).singleElement()
			.satisfies((request) -> assertThat(request.header("TE")).isEqualTo("trailers"));
		assertThat(received).filteredOn((request) -> request.path().equals("/plain")).singleElement()
			.satisfies((request) -> assertThat(request.header("TE")).isNull());
		// The gateway's own filter does the same, copying every request's headers: the balancer's replaces it.
		assertThat(this.headersFilters).hasAtLeastOneElementOfType(LeanGrpcRequestHeadersFilter.class)
			.noneMatch((filter) -> filter.getClass() == GRPCRequestHeadersFilter.class);
	}

	@Test
	void passesBackendErrorResponsesThroughUnchanged() {
		backends.forEach((backend) -> backend.status(404));
		try {
			this.client.get()
				.uri("/missing")
				.exchange()
				.expectStatus()
				.isEqualTo(HttpStatus.NOT_FOUND)
				.expectHeader()
				.exists("X-Backend")
				.expectBody(String.class)
				.value((answer) -> assertThat(answer).isIn("one", "two", "three"));
			assertThat(backends.stream().mapToInt(TestBackend::requestCount).sum()).isEqualTo(1);
		}
		finally {
			backends.forEach((backend) -> backend.status(200));
		}
	}

	@Test
	void actuatorIsNotServedOnTheDataPort() {
		assertThat(get("/actuator/health")).isIn("one", "two", "three");
		assertThat(onlyRequest().path()).isEqualTo("/actuator/health");
	}

	@Test
	void theGatewayFindsTheLifecyclesThatCountRequestsInTheCachedLookup() {
		Map<String, LoadBalancerLifecycle> lifecycles = this.clientFactory.getInstances(Backends.SERVICE_ID,
				LoadBalancerLifecycle.class);

		assertThat(this.clientFactory.getClass().getSimpleName()).isEqualTo("CachingLoadBalancerClientFactory");
		assertThat(lifecycles.values()).hasAtLeastOneElementOfType(InFlightRequests.class);
		assertThat(this.clientFactory.getInstances(Backends.SERVICE_ID, LoadBalancerLifecycle.class))
			.isSameAs(lifecycles);
	}

	@Test
	void theGatewaySortsTheRoutesFiltersOnceNotOnEveryRequest() {
		get("/cached");

		// The gateway keeps the sorted list per route only with route-filter-cache-enabled (balancer-defaults.yml).
		Map<?, ?> cached = (Map<?, ?>) ReflectionTestUtils.getField(this.filteringWebHandler, "routeFilterMap");
		assertThat(cached).isNotNull();
		assertThat(cached.keySet()).anySatisfy((route) -> assertThat(((Route) route).getId()).isEqualTo("balancer"));
	}

	@Test
	void backendConnectionsAreOpenedAndPooledOnTheEventLoopsThatServeClients(@Autowired HttpClient gatewayClient,
			@Autowired ReactorResourceFactory netty) {
		assertThat(gatewayClient.configuration().loopResources()).isSameAs(netty.getLoopResources());
		assertThat(gatewayClient.configuration().connectionProvider())
			.isInstanceOf(EventLoopAffineConnectionProvider.class);
	}

	@Test
	void clientConnectionsAreAcceptedOnALoopThatServesNone(@Autowired BoundServers bound,
			@Autowired ReactorResourceFactory netty) {
		EventLoopGroup acceptor = netty.getLoopResources().onServerSelect(true);

		assertThat(bound.channels).isNotEmpty()
			.allSatisfy((server) -> assertThat(acceptor).contains(server.eventLoop()))
			.anySatisfy((server) -> assertThat(((InetSocketAddress) server.localAddress()).getPort())
				.isEqualTo(this.port));
		assertThat(netty.getLoopResources().onServer(true)).doesNotContain(acceptor.next());
	}

	private String get(String path) {
		return this.client.get().uri(path).exchange().expectStatus().isOk().expectBody(String.class).returnResult()
			.getResponseBody();
	}

	private static int backendPort(RecordedRequest request) {
		return backends.stream().filter((backend) -> backend.requests().contains(request)).findFirst().orElseThrow()
			.port();
	}

	/** The listening channels of the balancer's servers (proxy and actuator), once bound. */
	static final class BoundServers implements NettyServerCustomizer {

		final List<Channel> channels = new CopyOnWriteArrayList<>();

		@Override
		public HttpServer apply(HttpServer server) {
			return server.doOnBound((bound) -> this.channels.add(bound.channel()));
		}

	}

	@TestConfiguration(proxyBeanMethods = false)
	static class Recording {

		@Bean
		BoundServers boundServers() {
			return new BoundServers();
		}

	}

	private static RecordedRequest onlyRequest() {
		List<RecordedRequest> all = backends.stream().flatMap((backend) -> backend.requests().stream()).toList();
		assertThat(all).hasSize(1);
		return all.get(0);
	}

}
