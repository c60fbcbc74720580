package dev.balancer.web;

import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;

import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import reactor.core.publisher.Mono;
import tools.jackson.databind.json.JsonMapper;

import dev.balancer.routing.HttpDate;
import dev.balancer.routing.LogBudget;
import dev.balancer.routing.Stopping;
import dev.balancer.routing.UpstreamFailure;

import org.springframework.core.Ordered;
import org.springframework.core.io.buffer.DataBuffer;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.http.HttpStatusCode;
import org.springframework.http.MediaType;
import org.springframework.http.server.reactive.ServerHttpResponse;
import org.springframework.web.server.ResponseStatusException;
import org.springframework.web.server.ServerWebExchange;
import org.springframework.web.server.WebExceptionHandler;

/**
 * Answers every error the balancer itself produces with a short JSON body, whatever the client accepts:
 * {@code {"status":503,"error":"Service Unavailable","message":"No healthy backend available"}}. Unexpected
 * errors are logged here and reach the client as a plain 500, never as a stack trace.
 */
public class JsonErrorHandler implements WebExceptionHandler, Ordered {

	private static final Log logger = LogFactory.getLog(JsonErrorHandler.class);

	/** The lines of requests failed by the balancer's stop ({@link Stopping}). */
	private static final LogBudget STOPPING_LINES = new LogBudget();

	private final JsonMapper json;

	/** Whether the event loops are stopping: errors then are the stop's ({@link Stopping}). */
	private final Stopping stopping;

	public JsonErrorHandler(JsonMapper json, Stopping stopping) {
		this.json = json;
		this.stopping = stopping;
	}

	@Override
	public int getOrder() {
		// Ahead of Spring Boot's own handler (-1), which renders HTML for browsers.
		return -2;
	}

	@Override
	public Mono<Void> handle(ServerWebExchange exchange, Throwable error) {
		ServerHttpResponse response = exchange.getResponse();
		if (response.isCommitted()) {
			return Mono.error(error);
		}
		HttpStatusCode status;
		String message;
		boolean closing = false;
		if (error instanceof ResponseStatusException statusError) {
			status = statusError.getStatusCode();
			message = (statusError.getReason() != null) ? statusError.getReason() : reasonPhrase(status);
		}
		else if (this.stopping.isUnderWay()) {
			// a backend connection that could not be opened on a loop shutting down, say: no fault of the balancer's
			STOPPING_LINES.info(logger, exchange.getLogPrefix() + exchange.getRequest().getMethod() + " "
					+ exchange.getRequest().getPath() + " failed as the balancer stopped: "
					+ UpstreamFailure.describe(error));
			status = HttpStatus.SERVICE_UNAVAILABLE;
			message = Stopping.ANSWER;
			closing = true;
		}
		else {
			logger.error(exchange.getLogPrefix() + "Failed " + exchange.getRequest().getMethod() + " "
					+ exchange.getRequest().getPath(), error);
			status = HttpStatus.INTERNAL_SERVER_ERROR;
			message = "Internal error in the load balancer";
		}
		byte[] bytes = body(this.json, status, message);
		response.setStatusCode(status);
		HttpHeaders headers = response.getHeaders();
		headers.clear();
		if (error instanceof ResponseStatusException statusError) {
			// such as the Allow header of a 405
			headers.addAll(statusError.getHeaders());
		}
		if (closing) {
			headers.setConnection("close");
		}
		headers.setContentType(MediaType.APPLICATION_JSON);
		headers.setContentLength(bytes.length);
		headers.set(HttpHeaders.DATE, HttpDate.now());
		DataBuffer buffer = response.bufferFactory().wrap(bytes);
		return response.writeWith(Mono.just(buffer));
	}

	/**
	 * The JSON body of an error the balancer answers itself, such as
	 * {@code {"status":503,"error":"Service Unavailable","message":"No healthy backend available"}}; also for the
	 * requests answered before they reach Spring ({@code ClientRequestHeads}).
	 */
	public static byte[] body(JsonMapper json, HttpStatusCode status, String message) {
		Map<String, Object> body = new LinkedHashMap<>();
		body.put("status", status.value());
		body.put("error", reasonPhrase(status));
		body.put("message", message);
		return json.writeValueAsString(body).getBytes(StandardCharsets.UTF_8);
	}

	private static String reasonPhrase(HttpStatusCode status) {
		HttpStatus known = HttpStatus.resolve(status.value());
		return (known != null) ? known.getReasonPhrase() : "Error";
	}

}
