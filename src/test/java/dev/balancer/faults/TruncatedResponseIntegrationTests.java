package dev.balancer.faults;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

import dev.balancer.support.RawBackend;

import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.context.SpringBootTest.WebEnvironment;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.annotation.DirtiesContext;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

import static org.assertj.core.api.Assertions.assertThatExceptionOfType;

/**
 * A backend that resets the connection halfway through a 200 response: the client sees the response fail,
 * never a 200 that ends early as if it were complete, whether the body had a length or was chunked.
 */
@SpringBootTest(webEnvironment = WebEnvironment.RANDOM_PORT,
		properties = { "balancer.health-check.interval=1h", "balancer.health-check.path=/health",
				"management.server.port=0" })
@DirtiesContext // stops its health checker and frees its ports; no other test class shares this context
class TruncatedResponseIntegrationTests {

	static final RawBackend withLength = RawBackend.start(RawBackend.Behaviour.TRUNCATE_WITH_LENGTH);

	static final RawBackend chunked = RawBackend.start(RawBackend.Behaviour.TRUNCATE_CHUNKED);

	@DynamicPropertySource
	static void balancer(DynamicPropertyRegistry registry) {
		registry.add("balancer.backends[0].url", withLength::url);
		registry.add("balancer.backends[1].url", chunked::url);
	}

	@AfterAll
	static void stop() throws IOException {
		withLength.close();
		chunked.close();
	}

	@LocalServerPort
	int port;

	@Test
	void aResponseCutOffMidwayFailsForTheClientEveryTime() {
		HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
		for (int i = 0; i < 6; i++) { // three times each backend, in rotation
			HttpRequest request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + this.port + "/big/" + i))
				.timeout(Duration.ofSeconds(5))
				.build();
			assertThatExceptionOfType(IOException.class).as("request %d", i)
				.isThrownBy(() -> client.send(request, HttpResponse.BodyHandlers.ofString()));
		}
	}

}
