package dev.balancer.config;

import java.io.IOException;
import java.time.Duration;

import io.netty.handler.flush.FlushConsolidationHandler;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.ssl.util.InsecureTrustManagerFactory;
import io.netty.handler.ssl.util.SelfSignedCertificate;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import reactor.netty.DisposableServer;
import reactor.netty.http.Http11SslContextSpec;
import reactor.netty.http.client.HttpClient;

import dev.balancer.support.BalancerTestProperties;
import dev.balancer.support.GatedStream;
import dev.balancer.support.LoopbackBackend;
import dev.balancer.support.RawRequests;
import dev.balancer.support.TlsBackend;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.context.SpringBootTest.WebEnvironment;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.context.annotation.Import;
import org.springframework.test.annotation.DirtiesContext;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Clients that reach the balancer over TLS ({@code server.ssl.*}): with the batching handler first on their
 * connections, ahead of the TLS handler ({@link BatchedFlushes}), the handshake, a response and a streamed
 * response still go through.
 */
@SpringBootTest(webEnvironment = WebEnvironment.RANDOM_PORT)
@Import(OpenedConnections.Recording.class)
@DirtiesContext
class TlsClientConnectionsIntegrationTests {

	private static final Duration PATIENCE = Duration.ofSeconds(10);

	static final SelfSignedCertificate certificate = TlsBackend.selfSigned();

	static final GatedStream stream = new GatedStream();

	static final DisposableServer backend = LoopbackBackend.start((routes) -> routes
			.get("/stream", stream::serve));

	@DynamicPropertySource
	static void balancer(DynamicPropertyRegistry registry) {
		BalancerTestProperties.register(registry, backend);
		registry.add("server.ssl.certificate", () -> "file:" + certificate.certificate().getAbsolutePath());
		registry.add("server.ssl.certificate-private-key", () -> "file:" + certificate.privateKey().getAbsolutePath());
	}

	@AfterAll
	static void stopBackend() {
		backend.disposeNow();
		certificate.delete();
	}

	@LocalServerPort
	int port;

	@Test
	void aRequestOverTlsIsProxied() {
		String body = client().get().uri("/health").responseContent().aggregate().asString().block(PATIENCE);

		assertThat(body).isEqualTo("ok");
	}

	@Test
	void aStreamedResponseReachesATlsClientPieceByPiece() {
		String body = stream.read(client(), "/stream", PATIENCE);

		assertThat(body).isEqualTo("first;second;");
	}

	@Test
	void theBatchingHandlerComesBeforeTheTlsHandler(@Autowired OpenedConnections opened) {
		client().get().uri("/health").responseContent().aggregate().asString().block(PATIENCE);

		assertThat(opened.client).isNotEmpty().allSatisfy((pipeline) -> {
			assertThat(pipeline.get(0)).isInstanceOf(FlushConsolidationHandler.class);
			assertThat(pipeline.get(1)).isInstanceOf(SslHandler.class);
		});
	}

	/** Netty's TLS handler closed the connection without a word ("Empty reply from server"); nginx answers 400. */
	@Test
	void aPlainHttpRequestGetsA400SayingToUseHttps() throws IOException {
		assertThat(RawRequests.untilClosed(this.port, "GET /health HTTP/1.1\r\nHost: localhost\r\n\r\n"))
			.startsWith("HTTP/1.1 400 Bad Request\r\n")
			.endsWith("{\"status\":400,\"error\":\"Bad Request\",\"message\":\"The request was sent without TLS"
					+ " to a port that takes TLS: use https://\"}");
	}

	private HttpClient client() {
		return HttpClient.create()
			.baseUrl("https://127.0.0.1:" + this.port)
			.secure((tls) -> tls.sslContext(Http11SslContextSpec.forClient()
				.configure((builder) -> builder.trustManager(InsecureTrustManagerFactory.INSTANCE))));
	}

}
