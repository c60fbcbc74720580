package dev.balancer.support;

import org.springframework.test.web.reactive.server.WebTestClient;

/** What Prometheus reads from a running balancer's management port. */
public final class Scrapes {

	private Scrapes() {
	}

	/** The text of {@code /actuator/prometheus} on the management port, which must answer 200. */
	public static String prometheus(int managementPort) {
		return WebTestClient.bindToServer()
			.baseUrl("http://127.0.0.1:" + managementPort)
			.build()
			.get()
			.uri("/actuator/prometheus")
			.exchange()
			.expectStatus()
			.isOk()
			.expectBody(String.class)
			.returnResult()
			.getResponseBody();
	}

}
