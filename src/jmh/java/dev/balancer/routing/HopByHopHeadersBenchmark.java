package dev.balancer.routing;

import java.util.concurrent.TimeUnit;

import io.netty.handler.codec.http.DefaultHttpHeaders;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

import org.springframework.cloud.gateway.filter.headers.RemoveHopByHopHeadersFilter;
import org.springframework.http.HttpHeaders;
import org.springframework.mock.http.server.reactive.MockServerHttpRequest;
import org.springframework.mock.web.server.MockServerWebExchange;
import org.springframework.web.server.ServerWebExchange;

/**
 * The gateway's hop-by-hop headers filter against the balancer's, on a browser's request headers as the server
 * hands them over (read-only, over Netty's), the same with {@code Connection: keep-alive} (something to remove),
 * and on a backend's response headers as the gateway copies them.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class HopByHopHeadersBenchmark {

	private final RemoveHopByHopHeadersFilter gateway = new RemoveHopByHopHeadersFilter();

	private final LeanHopByHopHeadersFilter lean = new LeanHopByHopHeadersFilter(this.gateway);

	private final ServerWebExchange exchange = MockServerWebExchange.from(MockServerHttpRequest.get("/"));

	private HttpHeaders request;

	private HttpHeaders keepAliveRequest;

	private HttpHeaders response;

	@Setup
	public void setUp() {
		DefaultHttpHeaders netty = BrowserHeaders.netty();
		this.request = BrowserHeaders.asServerRequest(netty);
		DefaultHttpHeaders keepAlive = new DefaultHttpHeaders();
		keepAlive.add(netty).add("Connection", "keep-alive");
		this.keepAliveRequest = BrowserHeaders.asServerRequest(keepAlive);
		this.response = new HttpHeaders();
		this.response.add("Content-Type", "text/html; charset=utf-8");
		this.response.add("Content-Length", "5120");
		this.response.add("Date", "Wed, 25 Nov 2026 15:00:00 GMT");
		this.response.add("Cache-Control", "no-cache");
	}

	@Benchmark
	public HttpHeaders gatewayRequest() {
		return this.gateway.filter(this.request, this.exchange);
	}

	@Benchmark
	public HttpHeaders leanRequest() {
		return this.lean.filter(this.request, this.exchange);
	}

	@Benchmark
	public HttpHeaders gatewayKeepAliveRequest() {
		return this.gateway.filter(this.keepAliveRequest, this.exchange);
	}

	@Benchmark
	public HttpHeaders leanKeepAliveRequest() {
		return this.lean.filter(this.keepAliveRequest, this.exchange);
	}

	@Benchmark
	public HttpHeaders gatewayResponse() {
		return this.gateway.filter(this.response, this.exchange);
	}

	@Benchmark
	public HttpHeaders leanResponse() {
		return this.lean.filter(this.response, this.exchange);
	}

}
