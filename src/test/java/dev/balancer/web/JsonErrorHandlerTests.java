package dev.balancer.web;

import java.time.Duration;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import tools.jackson.databind.json.JsonMapper;

import dev.balancer.routing.Stopping;

import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.http.HttpStatus;
import org.springframework.mock.http.server.reactive.MockServerHttpRequest;
import org.springframework.mock.web.server.MockServerWebExchange;

import static org.assertj.core.api.Assertions.assertThat;

/** How {@link JsonErrorHandler} answers and logs an error that is no answer of the balancer's own. */
@ExtendWith(OutputCaptureExtension.class)
class JsonErrorHandlerTests {

	final Stopping stopping = new Stopping();

	final JsonErrorHandler handler = new JsonErrorHandler(JsonMapper.builder().build(), this.stopping);

	final MockServerWebExchange exchange = MockServerWebExchange.from(MockServerHttpRequest.put("/upload"));

	@Test
	void anUnexpectedErrorIsA500AndAnErrorWithItsStackTrace(CapturedOutput output) {
		this.handler.handle(this.exchange, new IllegalStateException("a fault for this test")).block(Duration.ofSeconds(5));

		assertThat(this.exchange.getResponse().getStatusCode()).isEqualTo(HttpStatus.INTERNAL_SERVER_ERROR);
		assertThat(this.exchange.getResponse().getBodyAsString().block(Duration.ofSeconds(5)))
			.contains("\"message\":\"Internal error in the load balancer\"");
		assertThat(output).contains("ERROR").contains("Failed PUT /upload").contains("\tat ");
	}

	/**
	 * As the event loops stop, a request still at work can fail for it (no backend connection can be opened on a
	 * loop shutting down): hundreds of ERRORs with stack traces in one stop under load, none of them a fault.
	 */
	@Test
	void anErrorOnceTheBalancerIsStoppingIsA503ThatClosesAndOneInfoLine(CapturedOutput output) {
		this.stopping.begin();

		this.handler.handle(this.exchange, new IllegalStateException("IoUringIoHandler is shutting down"))
			.block(Duration.ofSeconds(5));

		assertThat(this.exchange.getResponse().getStatusCode()).isEqualTo(HttpStatus.SERVICE_UNAVAILABLE);
		assertThat(this.exchange.getResponse().getHeaders().getConnection()).containsExactly("close");
		assertThat(this.exchange.getResponse().getBodyAsString().block(Duration.ofSeconds(5)))
			.contains("\"message\":\"The balancer is shutting down\"");
		assertThat(output).contains("INFO")
			.contains("PUT /upload failed as the balancer stopped: IllegalStateException: IoUringIoHandler is shutting down")
			.doesNotContain("ERROR")
			.doesNotContain("\tat ");
	}

}
