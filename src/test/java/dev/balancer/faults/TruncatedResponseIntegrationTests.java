package dev.balancer.faults;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import dev.balancer.support.RawBackend;

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
 * A backend that resets the connection halfway through a 200 response: the client never sees a 200 that ends
 * early as if it were complete. A streamed body (chunked, or longer than the balancer holds back) fails for the
 * client after the head; a short body with a length had not been sent yet, so the client gets a 502.
 */
@SpringBootTest(webEnvironment = WebEnvironment.RANDOM_PORT,
		properties = { "balancer.health-check.interval=1h", "balancer.health-check.path=/health",
				"management.server.port=0" })
@DirtiesContext // stops its health checker and frees its ports; no other test class shares this context
@ExtendWith(OutputCaptureExtension.class)
class TruncatedResponseIntegrationTests {

	static final RawBackend withLength = RawBackend.start(RawBackend.Behaviour.TRUNCATE_WITH_LENGTH);

	static final RawBackend chunked = RawBackend.start(RawBackend.Behaviour.TRUNCATE_CHUNKED);

	static final RawBackend shortWithLength = RawBackend.start(RawBackend.Behaviour.TRUNCATE_SHORT_WITH_LENGTH);

	@DynamicPropertySource
	static void balancer(DynamicPropertyRegistry registry) {
		registry.add("balancer.backends[0].url", withLength::url);
		registry.add("balancer.backends[1].url", chunked::url);
		registry.add("balancer.backends[2].url", shortWithLength::url);
	}

	@AfterAll
	static void stop() throws IOException {
		withLength.close();
		chunked.close();
		shortWithLength.close();
	}

	@LocalServerPort
	int port;

	@Test
	void aResponseCutOffMidwayNeverReachesTheClientAsComplete(CapturedOutput output) throws Exception {
		HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
		int failed = 0;
		List<String> badGateways = new ArrayList<>();
		for (int i = 0; i < 9; i++) { // three times each backend, in rotation
			HttpRequest request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + this.port + "/big/" + i))
				.timeout(Duration.ofSeconds(5))
				.build();
			try {
				HttpResponse<String> response = client.send(request, HttpResponse.BodyHandlers.ofString());
				assertThat(response.statusCode()).as("request %d", i).isEqualTo(502);
				badGateways.add(response.body());
			}
			catch (IOException ex) {
				failed++;
			}
		}
		assertThat(failed).isEqualTo(withLength.misbehaved() + chunked.misbehaved()).isEqualTo(6);
		assertThat(badGateways).hasSize(shortWithLength.misbehaved())
			.hasSize(3)
			.allSatisfy((body) -> assertThat(body).contains("\"status\":502").contains("broke off"));
		// one WARN line each, the 502s too, which had none
		assertThat(output.getOut().lines().filter((line) -> line.contains(" WARN ")))
			.filteredOn((line) -> line.contains(" answered 502: The backend's response broke off ("))
			.hasSize(3);
		assertThat(output.getOut().lines().filter((line) -> line.contains(" WARN ")))
			.filteredOn((line) -> line.contains(" broke off (") && line.endsWith("): closing the client connection"))
			.hasSize(6);
	}

}
