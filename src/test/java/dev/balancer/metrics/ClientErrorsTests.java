package dev.balancer.metrics;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** {@link ClientErrors}'s counter has a series for each reason from the start, and counts each under its own. */
class ClientErrorsTests {

	private final SimpleMeterRegistry registry = new SimpleMeterRegistry();

	ClientErrorsTests() {
		new ClientErrors().bindTo(this.registry);
	}

	@Test
	void everyReasonHasItsSeriesBeforeTheFirstError() {
		assertThat(this.registry.get("balancer.client.errors").functionCounters())
			.extracting((counter) -> counter.getId().getTag("reason"))
			.containsExactlyInAnyOrder("invalid_request", "uri_too_long", "headers_too_large", "http_version",
					"transfer_coding", "head_timeout", "http2_protocol", "plain_http", "tls_handshake");
	}

	@Test
	void eachErrorIsCountedUnderItsOwnReason() {
		double before = count("tls_handshake");
		double others = count("invalid_request");

		ClientErrors.refused(ClientErrors.Reason.TLS_HANDSHAKE);

		assertThat(count("tls_handshake")).isEqualTo(before + 1);
		assertThat(count("invalid_request")).isEqualTo(others);
		assertThat(ClientErrors.timesRefused(ClientErrors.Reason.TLS_HANDSHAKE)).isEqualTo((long) before + 1);
	}

	private double count(String reason) {
		return this.registry.get("balancer.client.errors").tag("reason", reason).functionCounter().count();
	}

}
