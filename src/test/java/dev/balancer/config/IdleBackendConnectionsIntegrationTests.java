package dev.balancer.config;

import java.io.IOException;
import java.time.Duration;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

import dev.balancer.support.KeepAliveBackend;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.convert.DurationStyle;
import org.springframework.boot.env.YamlPropertySourceLoader;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.context.SpringBootTest.WebEnvironment;
import org.springframework.boot.webtestclient.autoconfigure.AutoConfigureWebTestClient;
import org.springframework.core.env.PropertySource;
import org.springframework.core.io.FileSystemResource;
import org.springframework.test.annotation.DirtiesContext;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import org.springframework.test.web.reactive.server.WebTestClient;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Backend connections are reused while idle for less than
 * {@code spring.cloud.gateway.server.webflux.httpclient.pool.max-idle-time}, and not after, in the balancer's
 * per-event-loop pools too; here 300 ms, against a backend that keeps connections for 5 s. A connection on which
 * the backend sent more than its response is not reused at all.
 */
@SpringBootTest(webEnvironment = WebEnvironment.RANDOM_PORT,
		properties = { "balancer.health-check.interval=1h", "balancer.health-check.path=/health",
				"management.server.port=0",
				"spring.cloud.gateway.server.webflux.httpclient.pool.max-idle-time=300ms" })
@AutoConfigureWebTestClient
@DirtiesContext // stops its health checker and frees its ports; no other test class shares this context
class IdleBackendConnectionsIntegrationTests {

	static final KeepAliveBackend backend = KeepAliveBackend.start(Duration.ofSeconds(5));

	@DynamicPropertySource
	static void balancer(DynamicPropertyRegistry registry) {
		registry.add("balancer.backends[0].url", backend::url);
	}

	@AfterAll
	static void stop() throws IOException {
		backend.close();
	}

	@Autowired
	WebTestClient client;

	@Test
	void aConnectionIdleForLessThanTheMaximumIsReusedAndOneIdleForLongerIsNot() throws InterruptedException {
		get();
		int first = backend.connections();
		get();
		assertThat(backend.connections()).as("reused right away").isEqualTo(first);

		Thread.sleep(600);
		get();
		assertThat(backend.connections()).as("a new connection after 600 ms idle").isEqualTo(first + 1);
	}

	@Test
	void aConnectionOnWhichTheBackendSentMoreThanItsResponseIsNotReused() {
		get();
		int first = backend.connections();
		this.client.get().uri(KeepAliveBackend.EXCESS_PATH).exchange().expectStatus().isOk()
			.expectBody(String.class).isEqualTo("ok");
		assertThat(backend.connections()).as("the connection was reused").isEqualTo(first);

		// The excess waited in the decoder for the next response on the connection, which got a 502.
		get();
		get();
		assertThat(backend.connections()).as("a new connection after the excess").isEqualTo(first + 1);
	}

	/** The packaged default stays below the 5 s after which Node.js, Apache httpd and uvicorn close idle connections. */
	@Test
	void thePackagedMaximumIdleTimeIsBelowCommonBackendKeepAlives() throws IOException {
		PropertySource<?> packaged = new YamlPropertySourceLoader()
			.load("packaged", new FileSystemResource("src/main/resources/balancer-defaults.yml"))
			.get(0);
		Object maxIdle = packaged.getProperty("spring.cloud.gateway.server.webflux.httpclient.pool.max-idle-time");

		assertThat(maxIdle).isNotNull();
		assertThat(DurationStyle.detectAndParse(maxIdle.toString())).isLessThan(Duration.ofSeconds(5));
	}

	private void get() {
		this.client.get().uri("/").exchange().expectStatus().isOk().expectBody(String.class).isEqualTo("ok");
	}

}
