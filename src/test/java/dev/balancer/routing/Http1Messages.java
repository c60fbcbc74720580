package dev.balancer.routing;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;

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

	/**
	 * The responses and contents that reached the end of a channel's pipeline so far, one line per message
	 * ({@code response 200}, {@code content ok}, {@code last content }), released.
	 */
	static List<String> readResponses(EmbeddedChannel channel) {
		List<String> read = new ArrayList<>();
		for (Object message = channel.readInbound(); message != null; message = channel.readInbound()) {
			if (message instanceof HttpResponse response) {
				read.add("response " + response.status().code());
			}
			if (message instanceof HttpContent content) {
				read.add(((content instanceof LastHttpContent) ? "last content " : "content ")
						+ content.content().toString(StandardCharsets.US_ASCII));
			}
			ReferenceCountUtil.release(message);
		}
		return read;
	}

}
