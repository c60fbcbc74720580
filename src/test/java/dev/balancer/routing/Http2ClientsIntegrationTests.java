package dev.balancer.routing;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;

import io.netty.handler.codec.http.HttpVersion;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.netty.ByteBufFlux;
import reactor.netty.http.HttpProtocol;
import reactor.netty.http.client.HttpClient;

import dev.balancer.support.BalancerTestProperties;
import dev.balancer.support.RawRequests;
import dev.balancer.support.TestBackend;
import dev.balancer.support.TestBackend.RecordedRequest;

import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.context.SpringBootTest.WebEnvironment;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.annotation.DirtiesContext;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * With {@code server.http2.enabled=true}, clients speaking HTTP/2 in clear text, with prior knowledge or by
 * upgrading from HTTP/1.1, are proxied too: the balancer's handler of HTTP/1.1 request heads
 * ({@link ClientRequestHeads}) stays out of their way, and is still there for HTTP/1.1 requests.
 */
@SpringBootTest(webEnvironment = WebEnvironment.RANDOM_PORT, properties = "server.http2.enabled=true")
@DirtiesContext // stops its health checker and frees its ports; no other test class shares this context
class Http2ClientsIntegrationTests {

	static final TestBackend backend = TestBackend.start("one");

	@DynamicPropertySource
	static void balancer(DynamicPropertyRegistry registry) {
		BalancerTestProperties.register(registry, List.of(backend));
	}

	@AfterAll
	static void stop() {
		backend.stop();
	}

	@LocalServerPort
	int port;

	@Test
	void anHttp2ClientWithPriorKnowledgeIsProxied() {
		assertProxiedOverHttp2(HttpClient.create().protocol(HttpProtocol.H2C), "/prior?q=1");
	}

	@Test
	void anHttp11ClientThatUpgradesToHttp2IsProxied() {
		assertProxiedOverHttp2(HttpClient.create().protocol(HttpProtocol.HTTP11, HttpProtocol.H2C), "/upgraded");
	}

	/**
	 * HTTP/2 frames a body with DATA frames, not a length or chunks: a body without {@code content-length} must still
	 * reach the HTTP/1.1 backend whole, and a request without one with none.
	 */
	@Test
	void anHttp2ClientsBodyWithoutALengthReachesTheBackendWholeAndNoBodyAsNone() {
		backend.clear();
		HttpClient client = HttpClient.create().protocol(HttpProtocol.H2C);
		String part = "0123456789".repeat(100);

		Integer withBody = client.post()
			.uri("http://127.0.0.1:" + this.port + "/h2-upload")
			.send(ByteBufFlux.fromString(Flux.just(part, part, part)))
			.responseSingle((response, body) -> Mono.just(response.status().code()))
			.block(Duration.ofSeconds(10));
		Integer withoutBody = client.post()
			.uri("http://127.0.0.1:" + this.port + "/h2-empty")
			.responseSingle((response, body) -> Mono.just(response.status().code()))
			.block(Duration.ofSeconds(10));

		assertThat(List.of(withBody, withoutBody)).containsExactly(200, 200);
		assertThat(backend.requests()).satisfiesExactly((upload) -> {
			assertThat(upload.path()).isEqualTo("/h2-upload");
			assertThat(new String(upload.body(), StandardCharsets.UTF_8)).isEqualTo(part.repeat(3));
		}, (empty) -> {
			assertThat(empty.path()).isEqualTo("/h2-empty");
			assertThat(empty.bodyLength()).isZero();
			assertThat(empty.header("Transfer-Encoding")).isNull();
		});
	}

	/** The server sets up HTTP/1.1 in another way where it offers h2c: the checks must be there all the same. */
	@Test
	void http11RequestsThatAreNotValidHttpAreStillAnsweredByTheBalancer() throws IOException {
		backend.clear();

		assertThat(RawRequests.untilClosed(this.port, "GET /50%off HTTP/1.1\r\nHost: localhost\r\n\r\n"))
			.startsWith("HTTP/1.1 400 Bad Request\r\n")
			.endsWith("{\"status\":400,\"error\":\"Bad Request\",\"message\":\"The request is not valid HTTP: "
					+ "a malformed percent-escape in the request target\"}");
		assertThat(RawRequests.untilClosed(this.port, "GET /no-host HTTP/1.1\r\n\r\n"))
			.startsWith("HTTP/1.1 400 Bad Request\r\n")
			.contains("\"message\":\"The request is not valid HTTP: ");
		assertThat(RawRequests.statusLine(this.port, "GET /caf\u00c3\u00a9 HTTP/1.1\r\nHost: localhost\r\n\r\n"))
			.isEqualTo("HTTP/1.1 200 OK");
		assertThat(backend.requests()).extracting(RecordedRequest::path).containsExactly("/caf%C3%A9");
	}

	private void assertProxiedOverHttp2(HttpClient client, String target) {
		backend.clear();
		List<Object> answer = client.get()
			.uri("http://127.0.0.1:" + this.port + target)
			.responseSingle((response, body) -> body.asString()
				.map((text) -> List.<Object>of(response.status().code(), response.version(), text)))
			.block(Duration.ofSeconds(10));

		assertThat(answer).containsExactly(200, HttpVersion.valueOf("HTTP/2.0"), "one");
		assertThat(backend.requests()).extracting(RecordedRequest::path)
			.containsExactly(target.contains("?") ? target.substring(0, target.indexOf('?')) : target);
	}

}
