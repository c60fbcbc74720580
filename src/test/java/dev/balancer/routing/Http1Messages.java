package dev.balancer.routing;

import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;

/** Request and response heads as Netty's HTTP/1.1 codec and Reactor Netty make them, for tests of handlers. */
final class Http1Messages {

	private Http1Messages() {
	}

	/** A request for {@code /}, with the {@code Connection} header given, or none for {@code null}. */
	static HttpRequest request(HttpVersion version, HttpMethod method, String connection) {
		HttpRequest request = new DefaultHttpRequest(version, method, "/");
		if (connection != null) {
			request.headers().set(HttpHeaderNames.CONNECTION, connection);
		}
		return request;
	}

	/** A response head as Reactor Netty writes it before a body of unknown length. */
	static HttpResponse streamed() {
		HttpResponse response = new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK);
		HttpUtil.setTransferEncodingChunked(response, true);
		return response;
	}

}
