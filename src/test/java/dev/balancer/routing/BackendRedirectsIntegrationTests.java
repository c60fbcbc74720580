package dev.balancer.routing;

import java.io.IOException;
import java.net.URI;
import java.util.List;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Mono;
import reactor.netty.DisposableServer;

import dev.balancer.support.BalancerTestProperties;
import dev.balancer.support.LoopbackBackend;
import dev.balancer.support.RawRequests;
import dev.balancer.support.RawResponses.RawResponse;
import dev.balancer.support.RawResponses;

import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.context.SpringBootTest.WebEnvironment;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.annotation.DirtiesContext;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A backend that builds absolute URLs from the {@code Host} it is sent, as many frameworks build redirects: with
 * {@code balancer.preserve-host} it gets the client's, and a redirect to its own address reaches clients as a path
 * ({@link BackendRedirectsFilter}). Without {@code preserve-host}, the backend's own address in {@code Host} is
 * checked by {@code ProxyIntegrationTests}.
 */
@SpringBootTest(webEnvironment = WebEnvironment.RANDOM_PORT, properties = "balancer.preserve-host=true")
@DirtiesContext // stops its health checker and frees its ports; no other test class shares this context
class BackendRedirectsIntegrationTests {

	static final DisposableServer backend = LoopbackBackend.start((routes) -> routes
			.post("/orders", (request, response) -> response.status(201)
				.header("Location", self() + "/orders/7")
				.send())
			.get("/account", (request, response) -> response.status(302)
				.header("Location", self() + "/login?next=%2Faccount")
				.send())
			.get("/soon", (request, response) -> response.header("Refresh", "2; url=" + self() + "/ready")
				.sendString(Mono.just("wait")))
			.get("/sign-in", (request, response) -> response.status(303)
				.header("Location", "https://accounts.example/authorize?return=" + self() + "/")
				.send())
			// a directory's slash added, on the backend's own address
			.route((request) -> request.uri().startsWith("//"), (request, response) -> response.status(301)
				.header("Location", self() + request.uri() + "/")
				.send())
			// what a backend builds from the Host it is sent
			.get("/here", (request, response) -> response.status(302)
				.header("Location", "http://" + request.requestHeaders().get("Host") + "/there")
				.sendString(Mono.just(String.join(",", request.requestHeaders().getAll("Host"))))));

	/** The backend's own address, as a backend unaware of the balancer knows it. */
	static String self() {
		return "http://127.0.0.1:" + backend.port();
	}

	@DynamicPropertySource
	static void balancer(DynamicPropertyRegistry registry) {
		BalancerTestProperties.register(registry, backend);
	}

	@AfterAll
	static void stopBackend() {
		backend.disposeNow();
	}

	@LocalServerPort
	int port;

	@Test
	void aRedirectToTheBackendsOwnAddressReachesTheClientAsAPath() throws IOException {
		RawResponse answer = request("GET /account HTTP/1.1\r\nHost: shop.example\r\n\r\n");

		assertThat(answer.status()).isEqualTo(302);
		assertThat(answer.headers().get("location")).containsExactly("/login?next=%2Faccount");
	}

	@Test
	void theLocationOfACreatedResourceToo() throws IOException {
		RawResponse answer = request("POST /orders HTTP/1.1\r\nHost: shop.example\r\nContent-Length: 0\r\n\r\n");

		assertThat(answer.status()).isEqualTo(201);
		assertThat(answer.header("Location")).isEqualTo("/orders/7");
	}

	/** Made a path, {@code //evil.example/x/} would send clients to evil.example: it stays on the balancer. */
	@Test
	void aRedirectToAPathThatReadsAsAnotherSiteStaysOnTheBalancer() throws IOException {
		RawResponse answer = request("GET //evil.example/x HTTP/1.1\r\nHost: shop.example\r\n\r\n");

		assertThat(answer.status()).isEqualTo(301);
		assertThat(answer.header("Location")).isEqualTo("/.//evil.example/x/");
		assertThat(URI.create("http://shop.example/x").resolve(answer.header("Location")).getHost())
			.isEqualTo("shop.example");
	}

	@Test
	void aRefreshToTheBackendsOwnAddressToo() throws IOException {
		RawResponse answer = request("GET /soon HTTP/1.1\r\nHost: shop.example\r\n\r\n");

		assertThat(answer.header("Refresh")).isEqualTo("2; url=/ready");
		assertThat(answer.body()).isEqualTo("wait");
	}

	@Test
	void aRedirectToAnotherSiteIsPassedOnAsItIs() throws IOException {
		RawResponse answer = request("GET /sign-in HTTP/1.1\r\nHost: shop.example\r\n\r\n");

		assertThat(answer.status()).isEqualTo(303);
		assertThat(answer.header("Location"))
			.isEqualTo("https://accounts.example/authorize?return=http://127.0.0.1:" + backend.port() + "/");
	}

	@Test
	void withPreserveHostTheBackendGetsTheClientsHostAndBuildsUrlsOnIt() throws IOException {
		RawResponse answer = request("GET /here HTTP/1.1\r\nHost: shop.example:8443\r\n\r\n");

		assertThat(answer.body()).isEqualTo("shop.example:8443");
		assertThat(answer.header("Location")).isEqualTo("http://shop.example:8443/there");
	}

	@Test
	void anAbsoluteTargetsHostIsTheOnePreserved() throws IOException {
		RawResponse answer = request("GET http://shop.example/here HTTP/1.1\r\nHost: other.example\r\n\r\n");

		assertThat(answer.body()).isEqualTo("shop.example");
	}

	private RawResponse request(String request) throws IOException {
		List<RawResponse> answers = RawResponses
			.parse(RawRequests.untilClosed(this.port, request.replace("\r\n\r\n", "\r\nConnection: close\r\n\r\n")));
		assertThat(answers).hasSize(1);
		return answers.get(0);
	}

}
