package dev.balancer.routing;

import java.util.concurrent.TimeoutException;

import org.junit.jupiter.api.Test;

import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;

import static org.assertj.core.api.Assertions.assertThat;

/** The balancer's own error answers; that clients get them as JSON: FailoverIntegrationTests and others. */
class ErrorAnswerTests {

	@Test
	void carriesStatusAndMessageWithoutAStackTrace() {
		ErrorAnswer answer = ErrorAnswer.of(HttpStatus.SERVICE_UNAVAILABLE, "No healthy backend available");

		assertThat(answer.getStatusCode()).isEqualTo(HttpStatus.SERVICE_UNAVAILABLE);
		assertThat(answer.getReason()).isEqualTo("No healthy backend available");
		assertThat(answer.getStackTrace()).isEmpty();
		assertThat(answer.getHeaders().containsHeader(HttpHeaders.CONNECTION)).isFalse();
	}

	@Test
	void keepsItsCauseWithTheCausesOwnTrace() {
		TimeoutException cause = new TimeoutException("no response");

		ErrorAnswer answer = ErrorAnswer.of(HttpStatus.BAD_GATEWAY, "The backend's response broke off", cause);

		assertThat(answer.getCause()).isSameAs(cause);
		assertThat(cause.getStackTrace()).isNotEmpty();
	}

	@Test
	void aClosingAnswerAsksTheClientToClose() {
		ErrorAnswer answer = ErrorAnswer.closing(HttpStatus.REQUEST_TIMEOUT, "The request timed out");

		assertThat(answer.getHeaders().get(HttpHeaders.CONNECTION)).containsExactly("close");
		assertThat(answer.getStackTrace()).isEmpty();
	}

	@Test
	void theAnswerToARefusedMethodNamesTheMethodsThatAreProxied() {
		ErrorAnswer answer = ErrorAnswer.methodNotAllowed("TRACE", "GET,HEAD");

		assertThat(answer.getStatusCode()).isEqualTo(HttpStatus.METHOD_NOT_ALLOWED);
		assertThat(answer.getReason()).isEqualTo("Request method 'TRACE' is not supported.");
		assertThat(answer.getHeaders().get(HttpHeaders.ALLOW)).containsExactly("GET,HEAD");
		assertThat(answer.getStackTrace()).isEmpty();
	}

}
