package dev.balancer.routing;

import java.util.Set;
import java.util.concurrent.TimeUnit;

import io.netty.handler.codec.http.DefaultHttpHeaders;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

import org.springframework.http.HttpHeaders;
import org.springframework.http.support.Netty4HeadersAdapter;

/**
 * The header copies of one proxied request, the gateway's way against the balancer's.
 * <p>
 * Request: a browser's headers as the server hands them over (read-only, over Netty's) are copied by the
 * forwarded-headers filter, then into the backend request's Netty headers. The gateway's way copied into Spring's
 * own headers, then into a Netty set, then that set into the backend request's; the balancer's copies into a Netty
 * set ({@link NettyHeaders}) and that into the backend request's.
 * <p>
 * Response: a backend's headers are copied, their names taken (for a retry) and added to the response's headers
 * (Netty's, under Spring's). The gateway's way copied into Spring's own headers and walked them twice more; the
 * balancer's copies Netty's set and adds entry by entry ({@link LeanNettyRoutingFilter#responseHeaders}).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class HeaderCopiesBenchmark {

	private HttpHeaders request;

	private DefaultHttpHeaders backendResponse;

	@Setup
	public void setUp() {
		this.request = BrowserHeaders.asServerRequest(BrowserHeaders.netty());
		this.backendResponse = new DefaultHttpHeaders();
		this.backendResponse.add("Content-Type", "text/html; charset=utf-8");
		this.backendResponse.add("Content-Length", "5120");
		this.backendResponse.add("Date", "Wed, 25 Nov 2026 15:00:00 GMT");
		this.backendResponse.add("Cache-Control", "no-cache");
		this.backendResponse.add("Set-Cookie", "session=4f2a9c; Path=/; HttpOnly");
		this.backendResponse.add("Set-Cookie", "theme=dark; Path=/");
	}

	@Benchmark
	public io.netty.handler.codec.http.HttpHeaders gatewayRequest() {
		HttpHeaders filtered = new HttpHeaders();
		filtered.addAll(this.request);
		DefaultHttpHeaders copy = new DefaultHttpHeaders();
		filtered.forEach(copy::set);
		DefaultHttpHeaders backendRequest = new DefaultHttpHeaders();
		backendRequest.add(copy);
		backendRequest.remove(HttpHeaders.HOST);
		return backendRequest;
	}

	@Benchmark
	public io.netty.handler.codec.http.HttpHeaders leanRequest() {
		HttpHeaders filtered = NettyHeaders.nettyCopyOf(this.request);
		DefaultHttpHeaders backendRequest = new DefaultHttpHeaders();
		LeanNettyRoutingFilter.requestHeaders(filtered, null, backendRequest);
		return backendRequest;
	}

	@Benchmark
	public Set<String> gatewayResponse() {
		HttpHeaders headers = new HttpHeaders();
		this.backendResponse.forEach((header) -> headers.add(header.getKey(), header.getValue()));
		headers.getFirst(HttpHeaders.CONTENT_TYPE);
		HttpHeaders response = new HttpHeaders(new Netty4HeadersAdapter(new DefaultHttpHeaders()));
		Set<String> names = headers.headerNames();
		response.addAll(headers);
		return names;
	}

	@Benchmark
	public Set<String> leanResponse() {
		NettyHeaders headers = new NettyHeaders(this.backendResponse.copy());
		headers.netty().get(HttpHeaders.CONTENT_TYPE);
		HttpHeaders response = new HttpHeaders(new Netty4HeadersAdapter(new DefaultHttpHeaders()));
		return LeanNettyRoutingFilter.responseHeaders(headers, response);
	}

}
