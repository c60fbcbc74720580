package dev.balancer.routing;

import org.springframework.cloud.gateway.filter.headers.GRPCRequestHeadersFilter;
import org.springframework.http.HttpHeaders;
import org.springframework.util.StringUtils;
import org.springframework.web.server.ServerWebExchange;

/**
 * The gateway's {@link GRPCRequestHeadersFilter} (a gRPC request gets {@code TE: trailers}), without its copy of
 * every other request's headers.
 * <p>
 * The gateway's filter copies all request headers into a new set on every request, gRPC or not, only to add one
 * header to gRPC requests: 1.4% of the balancer's CPU profile. Other requests' headers pass through as they came,
 * as the gateway's response-side gRPC filter already does.
 */
public final class LeanGrpcRequestHeadersFilter extends GRPCRequestHeadersFilter {

	@Override
	public HttpHeaders filter(HttpHeaders headers, ServerWebExchange exchange) {
		return StringUtils.startsWithIgnoreCase(headers.getFirst(HttpHeaders.CONTENT_TYPE), "application/grpc")
				? super.filter(headers, exchange) : headers;
	}

}
