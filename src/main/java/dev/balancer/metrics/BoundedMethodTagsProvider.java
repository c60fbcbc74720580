package dev.balancer.metrics;

import java.util.Set;

import io.micrometer.core.instrument.Tag;
import io.micrometer.core.instrument.Tags;

import org.springframework.cloud.gateway.support.tagsprovider.GatewayHttpTagsProvider;
import org.springframework.http.HttpMethod;
import org.springframework.web.server.ServerWebExchange;

/**
 * The gateway's HTTP tags of {@code spring.cloud.gateway.requests}, with the {@code httpMethod} tag bounded: a
 * method other than the standard ones is tagged {@code UNKNOWN}, as Spring's own {@code http.server.requests}
 * tags it.
 * <p>
 * The gateway tags the method as the client sent it, and the balancer proxies any method a client makes up: each
 * new one made a timer of its own, three more series in every scrape, kept for the life of the process. A client
 * sending made-up methods could grow the balancer's memory and the Prometheus scrape without bound. The gateway
 * declares its provider unconditionally; the balancer's bean post-processor swaps this one in.
 */
public class BoundedMethodTagsProvider extends GatewayHttpTagsProvider {

	private static final Set<HttpMethod> STANDARD_METHODS = Set.of(HttpMethod.values());

	private static final Tag UNKNOWN_METHOD = Tag.of("httpMethod", "UNKNOWN");

	@Override
	public Tags apply(ServerWebExchange exchange) {
		Tags tags = super.apply(exchange);
		return STANDARD_METHODS.contains(exchange.getRequest().getMethod()) ? tags : tags.and(UNKNOWN_METHOD);
	}

}
