package dev.balancer.routing;

import io.netty.handler.codec.http.DefaultHttpHeaders;

import org.springframework.http.HttpHeaders;
import org.springframework.http.support.Netty4HeadersAdapter;

/** A browser's request headers, as the benchmarks of the header steps use them. */
final class BrowserHeaders {

	private BrowserHeaders() {
	}

	/** The headers in Netty's set, as Reactor Netty's server decodes them. */
	static DefaultHttpHeaders netty() {
		DefaultHttpHeaders netty = new DefaultHttpHeaders();
		netty.add("Host", "shop.example.com");
		netty.add("User-Agent", "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0");
		netty.add("Accept", "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8");
		netty.add("Accept-Language", "en-US,en;q=0.5");
		netty.add("Accept-Encoding", "gzip, deflate, br");
		netty.add("Cookie", "session=4f2a9c; theme=dark");
		netty.add("X-Request-Id", "9b2e1f4c-0d1a-4e53-a0c4-5f1f2b8c7d61");
		return netty;
	}

	/** Netty headers as the server hands them to WebFlux: read-only, over Netty's. */
	static HttpHeaders asServerRequest(DefaultHttpHeaders netty) {
		return HttpHeaders.readOnlyHttpHeaders(new HttpHeaders(new Netty4HeadersAdapter(netty)));
	}

}
