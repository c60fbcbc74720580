package dev.balancer.routing;

import java.util.function.Consumer;

import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import reactor.core.publisher.Mono;
import reactor.netty.Connection;
import reactor.netty.channel.AbortedException;

import dev.balancer.metrics.BufferMemory;

import org.springframework.cloud.client.ServiceInstance;
import org.springframework.cloud.client.loadbalancer.Response;
import org.springframework.cloud.gateway.filter.GatewayFilter;
import org.springframework.cloud.gateway.filter.GatewayFilterChain;
import org.springframework.cloud.gateway.filter.NettyWriteResponseFilter;
import org.springframework.cloud.gateway.support.ServerWebExchangeUtils;
import org.springframework.core.Ordered;
import org.springframework.http.server.reactive.ServerHttpResponse;
import org.springframework.http.server.reactive.ServerHttpResponseDecorator;
import org.springframework.web.server.ResponseStatusException;
import org.springframework.web.server.ServerWebExchange;

/**
 * When a backend's response breaks off after its status and headers have gone to the client, closes the
 * client's connection at once, so that the client sees a failed response rather than a short one.
 * <p>
 * Without this the truncation goes unnoticed: the backend's "Connection reset by peer" reaches Spring's
 * {@code HttpWebHandlerAdapter}, which takes it for the client having gone away and completes the response
 * normally. A chunked body then ends with a proper last chunk, a silently truncated 200, and a body with a
 * Content-Length leaves the client waiting for bytes that never come until the idle timeout.
 * <p>
 * A streamed body that breaks off before any of it went out, by the backend's fault, gets the client a 502 naming
 * the fault.
 */
public class BrokenResponseFilter implements GatewayFilter, Ordered {

	private static final Log logger = LogFactory.getLog(BrokenResponseFilter.class);

	/** The lines of responses broken off by backends, and of those broken off by their clients. */
	private final LogBudget backendLines = new LogBudget();

	private final LogBudget clientLines = new LogBudget();

	/** Told of each response that broke off by its backend's fault, with the backend and the fault. */
	private final Consumer<AttemptOutcome> brokenByBackend;

	public BrokenResponseFilter() {
		this((outcome) -> {
		});
	}

	/**
	 * @param brokenByBackend told of each response that broke off by its backend's fault, after the head had
	 * counted the attempt as answered: counted, and for outlier detection a failure of the backend
	 */
	public BrokenResponseFilter(Consumer<AttemptOutcome> brokenByBackend) {
		this.brokenByBackend = brokenByBackend;
	}

	@Override
	public int getOrder() {
		// Around the gateway's response writer, which streams the body after the rest of the chain completed.
		return NettyWriteResponseFilter.WRITE_RESPONSE_FILTER_ORDER - 1;
	}

	@Override
	public Mono<Void> filter(ServerWebExchange exchange, GatewayFilterChain chain) {
		return chain.filter(exchange).onErrorResume((failure) -> {
			ServerHttpResponse response = exchange.getResponse();
			UpstreamFailure kind = UpstreamFailure.of((failure instanceof ErrorAnswer answer
					&& answer.isResponseBrokeOff() && answer.getCause() != null) ? answer.getCause() : failure);
			if (kind.isBackendsFault() && exchange.getAttribute(ServerWebExchangeUtils.CLIENT_RESPONSE_ATTR) != null) {
				tellBrokenByBackend(exchange, kind, failure);
			}
			// A client that went away mid-response fails the write the same way: nothing to tell it then.
			if (response.isCommitted()
					&& ServerHttpResponseDecorator.getNativeResponse(response) instanceof Connection client
					&& client.channel().isActive()) {
				String line = exchange.getLogPrefix() + "response to " + exchange.getRequest().getMethod() + " "
						+ exchange.getRequest().getPath() + " broke off (" + UpstreamFailure.describe(failure)
						+ "): closing the client connection";
				if (kind == UpstreamFailure.NO_BUFFER_MEMORY) {
					BufferMemory.ranOut(BufferMemory.Shortage.RESPONSE); // on HTTP/2: Http1Exchanges counts HTTP/1.x
				}
				if (kind.isClientsDoing()) {
					this.clientLines.info(logger, line); // the client's doing, as in FailoverFilter
				}
				else {
					this.backendLines.warn(logger, line);
				}
				client.channel().close();
				// The client is gone now, which Spring logs at DEBUG. Handed the failure itself, Spring logged it
				// again at ERROR, and Reactor Netty a stack trace; the line above is the one record.
				return Mono.error(new AbortedException(failure));
			}
			if (!response.isCommitted() && failure instanceof ErrorAnswer answer && answer.isResponseBrokeOff()) {
				// a short body held back until whole (SingleWriteResponseFilter): the client gets the 502
				return answeredBadGateway(exchange, answer);
			}
			if (!response.isCommitted() && exchange.getAttribute(ServerWebExchangeUtils.CLIENT_RESPONSE_ATTR) != null
					&& !(failure instanceof ResponseStatusException) && kind.isBackendsFault()) {
				// The body broke off before any of it went out (a streamed body whose first chunk size is no
				// number): a 502, as for a short body (SingleWriteResponseFilter), where Spring answered 500 and
				// logged a stack trace at ERROR.
				return answeredBadGateway(exchange, ErrorAnswer.responseBrokeOff(failure));
			}
			if (response.isCommitted() && kind == UpstreamFailure.NO_BUFFER_MEMORY) {
				// A part of the response found no buffer memory on its way out, and Http1Exchanges closed the
				// connection and logged it: Spring's ERROR line would be a second record of it.
				return Mono.error(new AbortedException(failure));
			}
			return Mono.error(failure);
		});
	}

	private void tellBrokenByBackend(ServerWebExchange exchange, UpstreamFailure kind, Throwable failure) {
		Response<ServiceInstance> chosen = exchange
			.getAttribute(ServerWebExchangeUtils.GATEWAY_LOADBALANCER_RESPONSE_ATTR);
		if (chosen != null && chosen.hasServer()) {
			this.brokenByBackend
				.accept(new AttemptOutcome(chosen.getServer(), null, kind, UpstreamFailure.describe(failure)));
		}
	}

	/**
	 * Logs the 502 for a response that broke off before any of it went out, at WARN as every request a backend
	 * failed: the client got the balancer's 502, and no line said why.
	 */
	private Mono<Void> answeredBadGateway(ServerWebExchange exchange, ErrorAnswer answer) {
		this.backendLines.warn(logger, exchange.getLogPrefix() + exchange.getRequest().getMethod() + " "
				+ exchange.getRequest().getPath() + " answered 502: " + answer.getReason());
		return Mono.error(answer);
	}

}
