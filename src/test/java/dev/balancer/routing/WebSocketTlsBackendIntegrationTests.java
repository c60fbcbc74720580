package dev.balancer.routing;

import java.time.Duration;
import java.util.List;

import io.netty.handler.ssl.util.SelfSignedCertificate;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Flux;
import reactor.netty.DisposableServer;
import reactor.netty.http.Http11SslContextSpec;
import reactor.netty.http.client.HttpClient;

import dev.balancer.support.LoopbackBackend;
import dev.balancer.support.TestBackend;
import dev.balancer.support.TlsBackend;

import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.context.SpringBootTest.WebEnvironment;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.annotation.DirtiesContext;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A WebSocket session through the balancer to an {@code https} backend: its handshake goes over TLS ({@code wss}),
 * trusted through the gateway's client settings as for any request to it.
 */
@SpringBootTest(webEnvironment = WebEnvironment.RANDOM_PORT)
@DirtiesContext
class WebSocketTlsBackendIntegrationTests {

	static final SelfSignedCertificate certificate = TlsBackend.selfSigned();

	static final DisposableServer backend = LoopbackBackend
		.server((routes) -> routes.ws("/echo",
				(in, out) -> out.sendString(in.receive().asString().map((text) -> "echo " + text))))
		.secure((tls) -> tls
			.sslContext(Http11SslContextSpec.forServer(certificate.certificate(), certificate.privateKey())))
		.bindNow();

	@DynamicPropertySource
	static void balancer(DynamicPropertyRegistry registry) {
		registry.add("balancer.backends[0].url", () -> "https://localhost:" + backend.port());
		registry.add("balancer.health-check.path", () -> TestBackend.HEALTH_PATH);
		registry.add("management.server.port", () -> "0");
		registry.add("spring.cloud.gateway.server.webflux.httpclient.ssl.trusted-x509-certificates",
				() -> "file:" + certificate.certificate().getAbsolutePath());
	}

	@AfterAll
	static void stopBackend() {
		backend.disposeNow();
		certificate.delete();
	}

	@LocalServerPort
	int port;

	@Test
	void messagesGoBothWays() {
		List<String> replies = HttpClient.create()
			.websocket()
			.uri("ws://127.0.0.1:" + this.port + "/echo")
			.handle((in, out) -> out.sendString(Flux.just("one", "two"))
				.then()
				.thenMany(in.receive().asString().take(2)))
			.collectList()
			.block(Duration.ofSeconds(10));

		assertThat(replies).containsExactly("echo one", "echo two");
	}

}
