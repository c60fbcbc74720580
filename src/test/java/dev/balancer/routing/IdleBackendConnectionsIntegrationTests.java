package dev.balancer.routing;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.netty.DisposableServer;
import reactor.netty.http.client.HttpClient;
import reactor.netty.resources.ConnectionProvider;

import dev.balancer.support.BalancerTestProperties;
import dev.balancer.support.LoopbackBackend;

import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.context.SpringBootTest.WebEnvironment;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.annotation.DirtiesContext;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Backend connections that a burst of requests opened are closed once idle for
 * {@code ...httpclient.pool.max-idle-time}. Reactor Netty closed an idle connection only when a request would
 * take it: after a burst of 8,000 requests, 8,000 connections to the backends stayed open for good.
 */
@SpringBootTest(webEnvironment = WebEnvironment.RANDOM_PORT,
		properties = { "balancer.health-check.interval=1h",
				"spring.cloud.gateway.server.webflux.httpclient.pool.max-idle-time=500ms" })
@DirtiesContext // stops its health checker and frees its ports; no other test class shares this context
class IdleBackendConnectionsIntegrationTests {

	/** Connections open to the backend now; a health probe's is closed after the probe. */
	static final AtomicInteger open = new AtomicInteger();

	static final DisposableServer backend = LoopbackBackend.server((routes) -> routes
			.get("/slow", (request, response) -> response
				.sendString(Mono.delay(Duration.ofMillis(300)).thenReturn("slow"))))
		.doOnConnection((connection) -> {
			open.incrementAndGet();
			connection.onDispose(open::decrementAndGet);
		})
		.bindNow();

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
	void connectionsABurstOpenedAreClosedOnceIdle() {
		HttpClient clients = HttpClient.create(ConnectionProvider.newConnection())
			.baseUrl("http://127.0.0.1:" + this.port);
		AtomicInteger peak = new AtomicInteger();

		Long answered = Flux.range(0, 20)
			.flatMap((i) -> clients.get().uri("/slow").responseContent().aggregate().asString()
				.doOnNext((body) -> peak.accumulateAndGet(open.get(), Math::max)), 20)
			.count()
			.block(Duration.ofSeconds(10));

		assertThat(answered).isEqualTo(20);
		assertThat(peak.get()).as("connections open at the burst's peak").isGreaterThanOrEqualTo(10);
		await().atMost(Duration.ofSeconds(10)).until(() -> open.get() == 0);
	}

}
