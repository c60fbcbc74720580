package dev.balancer.faults;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

import io.micrometer.core.instrument.MeterRegistry;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

import dev.balancer.support.RawBackend;
import dev.balancer.support.TestBackend;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.context.SpringBootTest.WebEnvironment;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.annotation.DirtiesContext;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A backend that resets every response halfway through its body, beside a good one. Each head counted as a good
 * answer, so the backend was never ejected, and no metric told of the breaks: the attempts showed as 200s. Now each
 * break counts in {@code balancer.backend.responses.broken} and, for outlier detection, as a failure (here 2 in a
 * row eject).
 */
@SpringBootTest(webEnvironment = WebEnvironment.RANDOM_PORT,
		properties = { "balancer.health-check.interval=1h", "balancer.health-check.path=/health",
				"management.server.port=0", "balancer.outlier-detection.consecutive-errors=2" })
@DirtiesContext // stops its health checker and frees its ports; no other test class shares this context
class BrokenResponsesIntegrationTests {

	static final RawBackend breaking = RawBackend.start(RawBackend.Behaviour.TRUNCATE_WITH_LENGTH);

	static final TestBackend good = TestBackend.start("good");

	@DynamicPropertySource
	static void balancer(DynamicPropertyRegistry registry) {
		registry.add("balancer.backends[0].url", breaking::url);
		registry.add("balancer.backends[1].url", good::url);
	}

	@AfterAll
	static void stop() throws IOException {
		breaking.close();
		good.stop();
	}

	@LocalServerPort
	int port;

	@Autowired
	MeterRegistry meters;

	@Test
	void aBackendThatBreaksOffItsResponsesIsCountedAndEjected() throws Exception {
		HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
		int failed = 0;
		for (int i = 0; i < 10; i++) {
			HttpRequest request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + this.port + "/big/" + i))
				.timeout(Duration.ofSeconds(5))
				.build();
			try {
				assertThat(client.send(request, HttpResponse.BodyHandlers.ofString()).statusCode()).isEqualTo(200);
			}
			catch (IOException ex) {
				failed++;
			}
		}

		assertThat(failed).as("broken responses").isEqualTo(breaking.misbehaved()).isEqualTo(2);
		assertThat(good.requestCount()).isEqualTo(8);
		assertThat(this.meters.get("balancer.backend.responses.broken").tag("backend", breaking.url()).counter()
			.count()).isEqualTo(2);
		assertThat(this.meters.get("balancer.backend.responses.broken").tag("backend", good.url()).counter()
			.count()).isZero();
		assertThat(this.meters.get("balancer.outlier.ejections").tag("backend", breaking.url()).counter().count())
			.isEqualTo(1);
	}

}
