package dev.balancer.config;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import dev.balancer.support.BalancerTestProperties;
import dev.balancer.support.TestBackend;

import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.context.SpringBootTest.WebEnvironment;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.annotation.DirtiesContext;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import org.springframework.test.web.reactive.server.WebTestClient;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * An {@code https} backend that takes connections and then says nothing: the TLS handshake with it is given
 * {@code balancer.timeouts.connect} (here 300 ms), as nginx gives it {@code proxy_connect_timeout}, and the request
 * goes on to the other backend. Reactor Netty's 10 s held each request that long. (Its probe, pending for the
 * health check's 30 s here, leaves it in rotation meanwhile.)
 */
@SpringBootTest(webEnvironment = WebEnvironment.RANDOM_PORT,
		properties = { "balancer.timeouts.connect=300ms", "balancer.health-check.interval=1h",
				"balancer.health-check.timeout=30s", "balancer.retry.backoff.base=0ms" })
@DirtiesContext // stops its health checker and frees its ports; no other test class shares this context
@ExtendWith(OutputCaptureExtension.class)
class SilentTlsBackendIntegrationTests {

	static final TestBackend fast = TestBackend.start("fast");

	static final List<Socket> accepted = new CopyOnWriteArrayList<>();

	/** Takes connections and never answers them; they stay open until the test ends. */
	static final ServerSocket silent = silent();

	private static ServerSocket silent() {
		try {
			ServerSocket server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
			Thread acceptor = new Thread(() -> {
				while (!server.isClosed()) {
					try {
						accepted.add(server.accept());
					}
					catch (IOException ex) {
						// closed at the end of the test
					}
				}
			}, "silent-backend");
			acceptor.setDaemon(true);
			acceptor.start();
			return server;
		}
		catch (IOException ex) {
			throw new UncheckedIOException(ex);
		}
	}

	@DynamicPropertySource
	static void balancer(DynamicPropertyRegistry registry) {
		BalancerTestProperties.register(registry, List.of(fast));
		registry.add("balancer.backends[1].url", () -> "https://127.0.0.1:" + silent.getLocalPort());
	}

	@AfterAll
	static void stop() throws IOException {
		fast.stop();
		silent.close();
		for (Socket socket : accepted) {
			socket.close();
		}
	}

	@LocalServerPort
	int port;

	@Test
	void theHandshakeWithASilentBackendIsGivenTheConnectTimeout(CapturedOutput output) {
		WebTestClient client = WebTestClient.bindToServer().baseUrl("http://localhost:" + this.port).build();
		for (int i = 0; i < 2; i++) { // one of them goes to the silent backend first
			client.get().uri("/work").exchange().expectStatus().isOk().expectBody(String.class).isEqualTo("fast");
		}

		assertThat(output.getOut()).contains("backend https://127.0.0.1:" + silent.getLocalPort()
				+ " DOWN: TLS handshake failed: handshake timed out after 300ms");
	}

}
