package dev.balancer.routing;

import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeoutException;

import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.jspecify.annotations.Nullable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.netty.Connection;
import reactor.netty.http.client.HttpClient;
import reactor.netty.http.client.HttpClientResponse;

import org.springframework.beans.factory.ObjectProvider;
import org.springframework.cloud.gateway.config.HttpClientProperties;
import org.springframework.cloud.gateway.filter.GatewayFilterChain;
import org.springframework.cloud.gateway.filter.NettyRoutingFilter;
import org.springframework.cloud.gateway.filter.headers.HttpHeadersFilter;
import org.springframework.cloud.gateway.filter.headers.HttpHeadersFilter.Type;
import org.springframework.cloud.gateway.route.Route;
import org.springframework.cloud.gateway.support.ServerWebExchangeUtils;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.http.HttpStatusCode;
import org.springframework.http.server.reactive.ServerHttpRequest;
import org.springframework.http.server.reactive.ServerHttpResponse;
import org.springframework.util.StringUtils;
import org.springframework.web.server.ResponseStatusException;
import org.springframework.web.server.ServerWebExchange;

import static org.springframework.cloud.gateway.support.RouteMetadataUtils.RESPONSE_TIMEOUT_ATTR;

/**
 * The gateway's {@link NettyRoutingFilter} (the request goes to the backend the URL names, and the backend's
 * status and headers become the response's), with the headers copied once each way.
 * <p>
 * The gateway's filter was 6.7% of the balancer's CPU profile, most of it copying headers: it copies the filtered
 * request headers into a Netty set, then that set into the backend request's; and the backend's response headers
 * into a new Spring set, which it walks twice more, for the names and into the response. Each walk over Spring's
 * {@code HttpHeaders} first builds a case-insensitive map of all names. Here, headers that the header filters hand
 * on as {@link NettyHeaders} (the balancer's own filters do) are copied from Netty's set into Netty's set, and the
 * backend's response headers start as such a set. Headers of any other class are copied as the gateway copies them.
 * <p>
 * Unlike the gateway's, it sends the backend no {@code User-Agent}, {@code Accept} or chunked framing that
 * Reactor Netty's client makes up for a request without them ({@link #withoutAddedHeaders}, {@link #withoutBody}).
 * <p>
 * Everything else is the gateway's: which URLs it routes, its {@link #getHttpClient connect timeout per route},
 * its {@code response-timeout} per route or in {@link HttpClientProperties} (504), the {@code PreserveHostHeader}
 * filter, the exchange attributes that its response-writing filter and other filters read, and the response
 * headers removed when a retry resets the exchange.
 */
public class LeanNettyRoutingFilter extends NettyRoutingFilter {

	/** The gateway's logger, so that its trace setting still shows each request's connections. */
	private static final Log log = LogFactory.getLog(NettyRoutingFilter.class);

	/** Status codes by value, so that setting one does not search all of {@link HttpStatus}'s values. */
	private static final HttpStatusCode[] STATUS_CODES = new HttpStatusCode[1000];

	static {
		for (int code = 100; code < STATUS_CODES.length; code++) {
			STATUS_CODES[code] = HttpStatusCode.valueOf(code);
		}
	}

	private final HttpClientProperties properties;

	public LeanNettyRoutingFilter(HttpClient httpClient, ObjectProvider<List<HttpHeadersFilter>> headersFilters,
			HttpClientProperties properties) {
		super(httpClient, headersFilters, properties);
		this.properties = properties;
	}

	@Override
	public Mono<Void> filter(ServerWebExchange exchange, GatewayFilterChain chain) {
		URI url = exchange.getRequiredAttribute(ServerWebExchangeUtils.GATEWAY_REQUEST_URL_ATTR);
		String scheme = url.getScheme();
		if (ServerWebExchangeUtils.isAlreadyRouted(exchange)
				|| (!"http".equalsIgnoreCase(scheme) && !"https".equalsIgnoreCase(scheme))) {
			return chain.filter(exchange);
		}
		ServerWebExchangeUtils.setAlreadyRouted(exchange);

		ServerHttpRequest request = exchange.getRequest();
		HttpMethod method = HttpMethod.valueOf(request.getMethod().name());
		HttpHeaders filtered = HttpHeadersFilter.filterRequest(getHeadersFilters(), exchange);
		String preservedHost = exchange.getAttributeOrDefault(ServerWebExchangeUtils.PRESERVE_HOST_HEADER_ATTRIBUTE,
				false) ? request.getHeaders().getFirst(HttpHeaders.HOST) : null;
		Route route = exchange.getRequiredAttribute(ServerWebExchangeUtils.GATEWAY_ROUTE_ATTR);

		Flux<HttpClientResponse> response = getHttpClientMono(route, exchange)
			.flatMapMany(client -> client.headers(headers -> requestHeaders(filtered, preservedHost, headers))
				.request(method)
				.uri(url.toASCIIString())
				.send((backendRequest, outbound) -> {
					if (log.isTraceEnabled()) {
						outbound.withConnection(connection -> log.trace("outbound route: "
								+ connection.channel().id().asShortText() + ", inbound: " + exchange.getLogPrefix()));
					}
					io.netty.handler.codec.http.HttpHeaders sent = backendRequest.requestHeaders();
					withoutAddedHeaders(filtered, sent);
					if (sent.contains(HttpHeaderNames.TRANSFER_ENCODING)
							&& !ReplayableBody.hasBody(request.getHeaders())) {
						withoutBody(method, sent);
					}
					return outbound.send(request.getBody().map(this::getByteBuf));
				})
				.responseConnection((backendResponse, connection) -> Mono
					.just(received(exchange, backendResponse, connection))));

		Duration timeout = responseTimeout(route);
		if (timeout != null) {
			response = response
				.timeout(timeout,
						Mono.error(() -> new TimeoutException("Response took longer than timeout: " + timeout)))
				.onErrorMap(TimeoutException.class,
						ex -> new ResponseStatusException(HttpStatus.GATEWAY_TIMEOUT, ex.getMessage(), ex));
		}
		return response.then(chain.filter(exchange));
	}

	/**
	 * Takes the backend's response in: status and filtered headers onto the exchange's response, the response and
	 * its connection into the attributes from which the gateway's response-writing filter sends the body on.
	 */
	private HttpClientResponse received(ServerWebExchange exchange, HttpClientResponse backendResponse,
			Connection connection) {
		Map<String, Object> attributes = exchange.getAttributes();
		attributes.put(ServerWebExchangeUtils.CLIENT_RESPONSE_ATTR, backendResponse);
		attributes.put(ServerWebExchangeUtils.CLIENT_RESPONSE_CONN_ATTR, connection);

		NettyHeaders headers = new NettyHeaders(backendResponse.responseHeaders().copy());
		if (backendResponse.status().code() == 204) {
			// RFC 9110 8.6: none on a 204. HTTP/2 clients (curl) took one for a promise of content never sent and
			// failed the stream; Netty leaves it out on HTTP/1.1 only.
			headers.netty().remove(HttpHeaderNames.CONTENT_LENGTH);
		}
		if (!headers.netty().contains(HttpHeaderNames.DATE)) {
			headers.netty().set(HttpHeaderNames.DATE, HttpDate.now()); // the time it was received (RFC 9110 6.6.1)
		}
		String contentType = headers.netty().get(HttpHeaders.CONTENT_TYPE);
		if (StringUtils.hasLength(contentType)) {
			attributes.put(ServerWebExchangeUtils.ORIGINAL_RESPONSE_CONTENT_TYPE_ATTR, contentType);
		}
		ServerHttpResponse response = exchange.getResponse();
		response.setStatusCode(statusCode(backendResponse.status().code()));

		// after the status, which response header filters may read
		HttpHeaders filtered = HttpHeadersFilter.filter(getHeadersFilters(), headers, exchange, Type.RESPONSE);
		if (!filtered.containsHeader(HttpHeaders.TRANSFER_ENCODING)
				&& filtered.containsHeader(HttpHeaders.CONTENT_LENGTH)) {
			// a response must not have both; the length is the one to keep
			response.getHeaders().remove(HttpHeaders.TRANSFER_ENCODING);
		}
		attributes.put(ServerWebExchangeUtils.CLIENT_RESPONSE_HEADER_NAMES,
				responseHeaders(filtered, response.getHeaders()));
		return backendResponse;
	}

	/** The backend request's headers: the filtered ones, with the Host left to the URL unless it is preserved. */
	static void requestHeaders(HttpHeaders filtered, @Nullable String preservedHost,
			io.netty.handler.codec.http.HttpHeaders headers) {
		if (filtered instanceof NettyHeaders netty) {
			headers.add(netty.netty());
		}
		else {
			filtered.forEach(headers::add);
		}
		headers.remove(HttpHeaders.HOST);
		if (preservedHost != null) {
			headers.add(HttpHeaders.HOST, preservedHost);
		}
	}

	/**
	 * Takes back the {@code User-Agent: ReactorNetty/...} and {@code Accept: *}{@code /*} that Reactor Netty's
	 * client adds to a request without them, so that the backend gets the headers the client sent, as from nginx
	 * or the seed (Go's reverse proxy takes care to do the same).
	 *
	 * @param filtered the headers passed on to the backend
	 * @param sent the headers of the backend request, before they are sent
	 */
	static void withoutAddedHeaders(HttpHeaders filtered, io.netty.handler.codec.http.HttpHeaders sent) {
		if (!filtered.containsHeader(HttpHeaders.USER_AGENT)) {
			sent.remove(HttpHeaderNames.USER_AGENT);
		}
		if (!filtered.containsHeader(HttpHeaders.ACCEPT)) {
			sent.remove(HttpHeaderNames.ACCEPT);
		}
	}

	/**
	 * Frames a request without a body as one: Reactor Netty's client makes every request but a GET, HEAD or
	 * DELETE without a {@code Content-Length} chunked, so that a POST without a body reached the backend as an
	 * empty chunked body, which backends that want a length answer with 411. Without it, a POST, PUT or PATCH
	 * gets {@code Content-Length: 0}, as Go's client sends it and RFC 9110 (8.6) asks of methods that define a
	 * meaning for content, and any other method neither header.
	 * <p>
	 * Whether there is a body is read from the request's headers, as HTTP/1.1 defines it (and Netty gives an
	 * HTTP/2 request with a body {@code Transfer-Encoding: chunked}). A filter that gives a request a body must say
	 * so in its headers, as the gateway's body-modifying filters do.
	 *
	 * @param method the request's method
	 * @param sent the headers of the backend request, before they are sent
	 */
	static void withoutBody(HttpMethod method, io.netty.handler.codec.http.HttpHeaders sent) {
		sent.remove(HttpHeaderNames.TRANSFER_ENCODING);
		if (method == HttpMethod.POST || method == HttpMethod.PUT || method == HttpMethod.PATCH) {
			sent.set(HttpHeaderNames.CONTENT_LENGTH, 0);
		}
	}

	/**
	 * Adds the filtered backend response headers to the response's, and returns their names: a retry removes
	 * those again ({@link ServerWebExchangeUtils#reset}).
	 */
	static Set<String> responseHeaders(HttpHeaders filtered, HttpHeaders response) {
		if (filtered instanceof NettyHeaders netty) {
			for (Map.Entry<String, String> header : netty.netty()) {
				response.add(header.getKey(), header.getValue());
			}
			return netty.netty().names();
		}
		response.addAll(filtered);
		return filtered.headerNames();
	}

	private static HttpStatusCode statusCode(int code) {
		return (code >= 0 && code < STATUS_CODES.length && STATUS_CODES[code] != null) ? STATUS_CODES[code]
				: HttpStatusCode.valueOf(code);
	}

	/**
	 * The route's {@code response-timeout} (none when negative), else the one in {@link HttpClientProperties}; a
	 * route value that is not a number counts as none given, as in the gateway.
	 */
	private @Nullable Duration responseTimeout(Route route) {
		Object value = route.getMetadata().get(RESPONSE_TIMEOUT_ATTR);
		if (value != null) {
			try {
				long millis = (value instanceof Number number) ? number.longValue() : Long.parseLong(value.toString());
				return (millis >= 0) ? Duration.ofMillis(millis) : null;
			}
			catch (NumberFormatException ex) {
				// the gateway's rule: the global default then
			}
		}
		return this.properties.getResponseTimeout();
	}

}
