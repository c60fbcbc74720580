package dev.balancer.routing;

import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import io.micrometer.core.instrument.MeterRegistry;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

import dev.balancer.support.BalancerTestProperties;
import dev.balancer.support.RawBackend;
import dev.balancer.support.RawRequests;
import dev.balancer.support.TestBackend;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.context.SpringBootTest.WebEnvironment;
import org.springframework.boot.test.web.server.LocalManagementPort;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.annotation.DirtiesContext;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * At {@code balancer.max-connections} client connections the balancer accepts no more until one closes: the next
 * client waits in the listen queue, then is served. The management port is not limited.
 */
@SpringBootTest(webEnvironment = WebEnvironment.RANDOM_PORT,
		properties = { "balancer.health-check.interval=1h", "balancer.max-connections=3" })
@DirtiesContext // stops its health checker and frees its ports; no other test class shares this context
class ConnectionLimitIntegrationTests {

	static final TestBackend backend = TestBackend.start("limited");

	@DynamicPropertySource
	static void balancer(DynamicPropertyRegistry registry) {
		BalancerTestProperties.register(registry, List.of(backend));
	}

	@AfterAll
	static void stopBackend() {
		backend.stop();
	}

	@LocalServerPort
	int port;

	@LocalManagementPort
	int managementPort;

	@Autowired
	MeterRegistry meters;

	@Test
	void atTheLimitANewClientWaitsUntilAConnectionCloses() throws IOException {
		List<Socket> open = new ArrayList<>();
		try {
			for (int i = 0; i < 3; i++) {
				Socket client = new Socket("127.0.0.1", this.port);
				assertThat(RawRequests.response(client, get())).startsWith("HTTP/1.1 200 OK\r\n"); // kept alive
				open.add(client);
			}
			assertThat(this.meters.get("balancer.client.connections").gauge().value()).isEqualTo(3);

			try (Socket waiting = new Socket("127.0.0.1", this.port)) { // queued by the kernel, not accepted
				waiting.setSoTimeout(500);
				waiting.getOutputStream().write(get().getBytes(StandardCharsets.US_ASCII));
				InputStream in = waiting.getInputStream();
				assertThatThrownBy(in::read).as("an answer at the limit").isInstanceOf(SocketTimeoutException.class);
				assertThat(RawRequests.statusLine(this.managementPort, "GET /actuator/health HTTP/1.1\r\n"
						+ "Host: localhost\r\nConnection: close\r\n\r\n")).isEqualTo("HTTP/1.1 200 OK");

				open.remove(0).close();

				waiting.setSoTimeout(5000);
				assertThat(RawBackend.readHead(in)).startsWith("HTTP/1.1 200 OK\r\n");
			}
		}
		finally {
			for (Socket client : open) {
				client.close();
			}
		}
	}

	private static String get() {
		return "GET / HTTP/1.1\r\nHost: localhost\r\n\r\n";
	}

}
