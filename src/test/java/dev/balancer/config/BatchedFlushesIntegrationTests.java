package dev.balancer.config;

import java.nio.charset.StandardCharsets;
import java.time.Duration;

import io.netty.buffer.ByteBufAllocator;
import io.netty.handler.flush.FlushConsolidationHandler;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Sinks;
import reactor.netty.ByteBufFlux;
import reactor.netty.DisposableServer;
import reactor.netty.http.client.HttpClient;

import dev.balancer.support.BalancerTestProperties;
import dev.balancer.support.GatedStream;
import dev.balancer.support.LoopbackBackend;

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
 * Client and backend connections send their writes in batches ({@link BatchedFlushes}), and a body that streams
 * still goes through piece by piece in both directions: the backend sends its second piece only once the client
 * has the first, the client its second only once the backend has the first. Held until the end of the body, either
 * would wait forever.
 */
@SpringBootTest(webEnvironment = WebEnvironment.RANDOM_PORT)
@Import(OpenedConnections.Recording.class)
@DirtiesContext
class BatchedFlushesIntegrationTests {

	private static final Duration PATIENCE = Duration.ofSeconds(10);

	static final GatedStream stream = new GatedStream();

	/** Completed by the backend when it has the first piece of the streamed request body. */
	static final Sinks.One<Void> backendHasFirstPiece = Sinks.one();

	static final DisposableServer backend = LoopbackBackend.start((routes) -> routes
			.get("/stream", stream::serve)
			.post("/upload", (request, response) -> {
				StringBuilder received = new StringBuilder();
				Mono<String> body = request.receive().asString().doOnNext((piece) -> {
					received.append(piece);
					if (received.indexOf("first;") >= 0) {
						backendHasFirstPiece.tryEmitEmpty();
					}
				}).then(Mono.fromSupplier(() -> "received " + received));
				return response.sendString(body);
			}));

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

	@Autowired
	OpenedConnections opened;

	@Test
	void clientAndBackendConnectionsBatchTheirWrites() {
		String body = HttpClient.create()
			.get()
			.uri("http://127.0.0.1:" + this.port + "/health")
			.responseContent()
			.aggregate()
			.asString()
			.block(PATIENCE);

		assertThat(body).isEqualTo("ok");
		assertThat(this.opened.client).isNotEmpty()
			.allSatisfy((handlers) -> assertThat(handlers.get(0)).isInstanceOf(FlushConsolidationHandler.class));
		assertThat(this.opened.backend).isNotEmpty()
			.allSatisfy((handlers) -> assertThat(handlers.get(0)).isInstanceOf(FlushConsolidationHandler.class));
	}

	@Test
	void aStreamedResponseReachesTheClientPieceByPiece() {
		String body = stream.read(HttpClient.create(), "http://127.0.0.1:" + this.port + "/stream", PATIENCE);

		assertThat(body).isEqualTo("first;second;");
	}

	@Test
	void aStreamedRequestBodyReachesTheBackendPieceByPiece() {
		Flux<String> pieces = Flux.concat(Mono.just("first;"),
				backendHasFirstPiece.asMono().then(Mono.just("second;")));

		String reply = HttpClient.create()
			.post()
			.uri("http://127.0.0.1:" + this.port + "/upload")
			.send(ByteBufFlux.fromString(pieces, StandardCharsets.UTF_8, ByteBufAllocator.DEFAULT))
			.responseContent()
			.aggregate()
			.asString()
			.block(PATIENCE);

		assertThat(reply).isEqualTo("received first;second;");
	}

}
