package dev.balancer.metrics;

import java.util.List;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import dev.balancer.support.BalancerTestProperties;
import dev.balancer.support.Http2Requests;
import dev.balancer.support.TestBackend;

import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.context.SpringBootTest.WebEnvironment;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.annotation.DirtiesContext;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The access log of {@code balancer.access-log.enabled} names the backend and the attempts of HTTP/2 requests too
 * ({@code server.http2.enabled}), whose line Reactor Netty writes from the request's HEADERS frame rather than
 * from the request the rest of the balancer sees.
 */
@SpringBootTest(webEnvironment = WebEnvironment.RANDOM_PORT,
		properties = { "balancer.access-log.enabled=true", "server.http2.enabled=true" })
@ExtendWith(OutputCaptureExtension.class)
@DirtiesContext
class Http2AccessLogIntegrationTests {

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

	@AfterEach
	void heal() {
		backend.status(200);
		backend.clear();
	}

	@Test
	void anHttp2RequestIsLoggedWithItsBackendAndAttempts(CapturedOutput output) throws Exception {
		try (Http2Requests connection = Http2Requests.clearText(this.port)) {
			assertThat(connection.send(Http2Requests.headers("GET", "/logged-h2?a=1", "localhost")).status())
				.isEqualTo(200);
			backend.status(503); // the only backend: not retried, one attempt
			assertThat(connection.send(Http2Requests.headers("GET", "/failed-h2", "localhost")).status())
				.isEqualTo(503);
		}

		assertThat(line(output, "/logged-h2?a=1")).matches("127\\.0\\.0\\.1 - - \\[[^]]+] \"GET /logged-h2\\?a=1 "
				+ "HTTP/2\\.0\" 200 3 \\d+ backend=" + backend.url() + " attempts=1");
		assertThat(line(output, "/failed-h2")).contains("\"GET /failed-h2 HTTP/2.0\" 503 ")
			.endsWith(" backend=" + backend.url() + " attempts=1");
	}

	/** Raw bytes in {@code :path} are logged percent-encoded, as the backend gets them, not as mangled text. */
	@Test
	void aRawTargetIsLoggedEncoded(CapturedOutput output) throws Exception {
		try (Http2Requests connection = Http2Requests.clearText(this.port)) {
			assertThat(connection.send(Http2Requests.headers("GET", "/caf\u00c3\u00a9-h2", "localhost")).status())
				.isEqualTo(200);
		}

		assertThat(line(output, "/caf%C3%A9-h2")).endsWith(" backend=" + backend.url() + " attempts=1");
		assertThat(backend.requests()).singleElement()
			.satisfies((request) -> assertThat(request.path()).isEqualTo("/caf%C3%A9-h2"));
	}

	@Test
	void anHttp2ClientCannotWriteTheFieldsItself(CapturedOutput output) throws Exception {
		try (Http2Requests connection = Http2Requests.clearText(this.port)) {
			assertThat(connection.send(Http2Requests.headers("GET", "/spoofed-h2", "localhost")
				.add("x-balancer-access-log", "backend=http://evil.example attempts=9")).status()).isEqualTo(200);
		}

		assertThat(line(output, "/spoofed-h2")).endsWith(" backend=" + backend.url() + " attempts=1");
		assertThat(backend.requests()).singleElement()
			.satisfies((request) -> assertThat(request.header("x-balancer-access-log")).isNull());
	}

	private static String line(CapturedOutput output, String target) {
		return AccessLogIntegrationTests.line(output, target, "HTTP/2.0");
	}

}
