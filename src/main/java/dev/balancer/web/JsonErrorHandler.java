package dev.balancer.web;

import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;

import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import reactor.core.publisher.Mono;
import tools.jackson.databind.json.JsonMapper;

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

	private final JsonMapper json;

	public JsonErrorHandler(JsonMapper json) {
		this.json = json;
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
		if (error instanceof ResponseStatusException statusError) {
			status = statusError.getStatusCode();
			message = (statusError.getReason() != null) ? statusError.getReason() : reasonPhrase(status);
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
		headers.setContentType(MediaType.APPLICATION_JSON);
		headers.setContentLength(bytes.length);
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
