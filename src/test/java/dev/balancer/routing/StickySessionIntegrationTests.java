package dev.balancer.routing;

import java.util.List;

import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

import dev.balancer.support.BalancerTestProperties;
import dev.balancer.support.TestBackend;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.context.SpringBootTest.WebEnvironment;
import org.springframework.boot.webtestclient.autoconfigure.AutoConfigureWebTestClient;
import org.springframework.http.ResponseCookie;
import org.springframework.test.annotation.DirtiesContext;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import org.springframework.test.web.reactive.server.WebTestClient;

import static org.assertj.core.api.Assertions.assertThat;

/** Sticky sessions through the real gateway: a cookie pins a client, a dead pinned backend fails over. */
@SpringBootTest(webEnvironment = WebEnvironment.RANDOM_PORT,
		properties = { "balancer.sticky-session.enabled=true", "balancer.health-check.interval=1h",
				"balancer.trusted-proxies=127.0.0.1" })
@AutoConfigureWebTestClient
@DirtiesContext // stops its health checker and frees its ports; no other test class shares this context
class StickySessionIntegrationTests {

	static final List<TestBackend> backends = List.of(TestBackend.start("one"), TestBackend.start("two"),
			TestBackend.start("three"));

	@DynamicPropertySource
	static void balancer(DynamicPropertyRegistry registry) {
		BalancerTestProperties.register(registry, backends);
	}

	@AfterAll
	static void stop() {
		backends.forEach(TestBackend::stop);
	}

	@Autowired
	WebTestClient client;

	@Test
	void aCookiePinsAClientAndMovesWhenItsBackendDies() {
		var first = this.client.get().uri("/").exchange().expectStatus().isOk().returnResult(String.class);
		ResponseCookie cookie = first.getResponseCookies().getFirst("BALANCER");
		assertThat(cookie).isNotNull();
		assertThat(cookie.isHttpOnly()).isTrue();
		assertThat(cookie.getSameSite()).isEqualTo("Lax");
		assertThat(cookie.getValue()).doesNotContain("127.0.0.1");
		String pinned = first.getResponseBody().blockFirst();

		for (int i = 0; i < 6; i++) {
			this.client.get()
				.uri("/")
				.cookie("BALANCER", cookie.getValue())
				.exchange()
				.expectStatus()
				.isOk()
				.expectHeader()
				.doesNotExist("Set-Cookie")
				.expectBody(String.class)
				.isEqualTo(pinned);
		}

		TestBackend dead = backends.stream().filter((backend) -> backend.name().equals(pinned)).findFirst()
			.orElseThrow();
		dead.stop();
		var failedOver = this.client.get()
			.uri("/")
			.cookie("BALANCER", cookie.getValue())
			.exchange()
			.expectStatus()
			.isOk()
			.returnResult(String.class);
		String next = failedOver.getResponseBody().blockFirst();
		ResponseCookie reissued = failedOver.getResponseCookies().getFirst("BALANCER");
		assertThat(next).isNotEqualTo(pinned);
		assertThat(reissued).isNotNull();
		assertThat(reissued.getValue()).isNotEqualTo(cookie.getValue());

		for (int i = 0; i < 4; i++) {
			this.client.get()
				.uri("/")
				.cookie("BALANCER", reissued.getValue())
				.exchange()
				.expectBody(String.class)
				.isEqualTo(next);
		}
	}

	/** Behind an ingress that terminates TLS, the cookie is Secure as if the client had come to the balancer. */
	@Test
	void theCookieIsSecureWhenTheTrustedProxyInFrontSaysTheClientCameOverTls() {
		ResponseCookie behindTls = firstCookie("https");
		ResponseCookie plain = firstCookie(null);

		assertThat(behindTls).isNotNull();
		assertThat(behindTls.isSecure()).isTrue();
		assertThat(plain).isNotNull();
		assertThat(plain.isSecure()).isFalse();
	}

	/** The cookie a new client gets, with the {@code X-Forwarded-Proto} it sends, if any. */
	private ResponseCookie firstCookie(@Nullable String forwardedProto) {
		return this.client.get()
			.uri("/")
			.headers((headers) -> {
				if (forwardedProto != null) {
					headers.set("X-Forwarded-Proto", forwardedProto);
				}
			})
			.exchange()
			.expectStatus()
			.isOk()
			.returnResult(String.class)
			.getResponseCookies()
			.getFirst("BALANCER");
	}

}
