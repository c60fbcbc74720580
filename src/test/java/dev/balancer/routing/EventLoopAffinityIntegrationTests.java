package dev.balancer.routing;

import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

import io.netty.channel.EventLoop;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;
import reactor.core.publisher.Flux;
import reactor.netty.Connection;
import reactor.netty.http.client.HttpClient;
import reactor.netty.resources.ConnectionProvider;

import dev.balancer.support.BalancerTestProperties;
import dev.balancer.support.TestBackend;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.context.SpringBootTest.WebEnvironment;
import org.springframework.boot.test.context.TestConfiguration;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.cloud.gateway.filter.GlobalFilter;
import org.springframework.cloud.gateway.support.ServerWebExchangeUtils;
import org.springframework.context.annotation.Bean;
import org.springframework.http.server.reactive.ServerHttpRequestDecorator;
import org.springframework.test.annotation.DirtiesContext;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A request is sent to its backend on a connection of the event loop that received it, under concurrent load from
 * many client connections. On epoll, which every Linux machine has; io_uring, where the kernel allows it, takes
 * the same path ({@code ProxyIntegrationTests} checks the pool on the default transport).
 */
@SpringBootTest(webEnvironment = WebEnvironment.RANDOM_PORT)
@DirtiesContext // stops its health checker and frees its ports; no other test class shares this context
@EnabledOnOs(OS.LINUX)
class EventLoopAffinityIntegrationTests {

	static final List<TestBackend> backends = List.of(TestBackend.start("one"), TestBackend.start("two"));

	@DynamicPropertySource
	static void balancer(DynamicPropertyRegistry registry) {
		BalancerTestProperties.register(registry, backends);
		registry.add("balancer.transport", () -> "epoll");
	}

	@AfterAll
	static void stopBackends() {
		backends.forEach(TestBackend::stop);
	}

	@Autowired
	HttpClient gatewayClient;

	@Autowired
	LoopRecorder recorder;

	@LocalServerPort
	int port;

	@Test
	void gatewayClientPoolsConnectionsPerEventLoop() {
		assertThat(this.gatewayClient.configuration().connectionProvider())
			.isInstanceOf(EventLoopAffineConnectionProvider.class);
	}

	@Test
	void everyRequestReachesItsBackendFromTheEventLoopThatReceivedIt() {
		// A client with connections of its own: 16 at a time, spread by the server over all its event loops.
		ConnectionProvider clientPool = ConnectionProvider.create("affinity-test", 16);
		try {
			HttpClient client = HttpClient.create(clientPool).baseUrl("http://127.0.0.1:" + this.port);
			List<Integer> statuses = Flux.range(0, 400)
				.flatMap((i) -> client.get().uri("/item/" + i).responseSingle((response, body) -> body
					.thenReturn(response.status().code())), 16)
				.collectList()
				.block(java.time.Duration.ofSeconds(30));

			assertThat(statuses).hasSize(400).containsOnly(200);
		}
		finally {
			clientPool.dispose();
		}
		assertThat(this.recorder.requests).hasValue(400);
		assertThat(this.recorder.serverLoops).as("the test reached more than one event loop").hasSizeGreaterThan(1);
		assertThat(this.recorder.onAnotherLoop).as("requests sent from another event loop").hasValue(0);
	}

	/** Compares, for each proxied request, the event loop of its client connection and of its backend one. */
	static final class LoopRecorder implements GlobalFilter {

		final AtomicInteger requests = new AtomicInteger();

		final AtomicInteger onAnotherLoop = new AtomicInteger();

		final Set<EventLoop> serverLoops = ConcurrentHashMap.newKeySet();

		@Override
		public reactor.core.publisher.Mono<Void> filter(org.springframework.web.server.ServerWebExchange exchange,
				org.springframework.cloud.gateway.filter.GatewayFilterChain chain) {
			return chain.filter(exchange).doOnSuccess((done) -> {
				Connection server = ServerHttpRequestDecorator.getNativeRequest(exchange.getRequest());
				Connection backend = exchange.getAttribute(ServerWebExchangeUtils.CLIENT_RESPONSE_CONN_ATTR);
				EventLoop serverLoop = server.channel().eventLoop();
				this.serverLoops.add(serverLoop);
				this.requests.incrementAndGet();
				if (backend.channel().eventLoop() != serverLoop) {
					this.onAnotherLoop.incrementAndGet();
				}
			});
		}

	}

	@TestConfiguration(proxyBeanMethods = false)
	static class Recording {

		@Bean
		LoopRecorder loopRecorder() {
			return new LoopRecorder();
		}

	}

}
