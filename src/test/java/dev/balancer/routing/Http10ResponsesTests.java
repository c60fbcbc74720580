package dev.balancer.routing;

import java.nio.charset.StandardCharsets;

import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandler;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import org.junit.jupiter.api.Test;
import reactor.netty.NettyPipeline;

import static dev.balancer.routing.Http1Messages.request;
import static dev.balancer.routing.Http1Messages.streamed;
import static org.assertj.core.api.Assertions.assertThat;

/** How {@link Http10Responses} frames the response heads going to an HTTP/1.0 client, in a Netty pipeline. */
class Http10ResponsesTests {

	private final EmbeddedChannel channel = new EmbeddedChannel();

	Http10ResponsesTests() {
		this.channel.pipeline().addLast(NettyPipeline.HttpTrafficHandler, new ChannelDuplexHandler());
		Http10Responses.addTo(this.channel.pipeline());
	}

	@Test
	void aBodyOfUnknownLengthGoesUnchunkedAndTheConnectionEndsIt() {
		HttpResponse response = answer(request(HttpVersion.HTTP_1_0, HttpMethod.GET, "keep-alive"), streamed());

		assertThat(response.headers().contains(HttpHeaderNames.TRANSFER_ENCODING)).isFalse();
		assertThat(response.headers().get(HttpHeaderNames.CONNECTION)).isEqualTo("close");
	}

	@Test
	void aWholeBodyGoesWithItsLength() {
		FullHttpResponse whole = new DefaultFullHttpResponse(HttpVersion.HTTP_1_0, HttpResponseStatus.OK,
				Unpooled.copiedBuffer("hello", StandardCharsets.US_ASCII));
		HttpUtil.setTransferEncodingChunked(whole, true);

		HttpResponse response = answer(request(HttpVersion.HTTP_1_0, HttpMethod.GET, "keep-alive"), whole);

		assertThat(response.headers().contains(HttpHeaderNames.TRANSFER_ENCODING)).isFalse();
		assertThat(HttpUtil.getContentLength(response)).isEqualTo(5);
		assertThat(response.headers().get(HttpHeaderNames.CONNECTION)).isEqualTo("keep-alive");
	}

	@Test
	void aClientThatAsksForKeepAliveIsToldItHasIt() {
		HttpResponse response = answer(request(HttpVersion.HTTP_1_0, HttpMethod.GET, "keep-alive"), withLength());

		assertThat(response.headers().get(HttpHeaderNames.CONNECTION)).isEqualTo("keep-alive");
		assertThat(HttpUtil.isKeepAlive(response)).isTrue();
	}

	@Test
	void aResponseThatClosesTheConnectionStaysSo() {
		HttpResponse closing = withLength();
		HttpUtil.setKeepAlive(closing, false);

		HttpResponse response = answer(request(HttpVersion.HTTP_1_0, HttpMethod.GET, "keep-alive"), closing);

		assertThat(response.headers().get(HttpHeaderNames.CONNECTION)).isEqualTo("close");
	}

	@Test
	void aClientThatDoesNotAskForKeepAliveIsNotOfferedIt() {
		HttpResponse response = answer(request(HttpVersion.HTTP_1_0, HttpMethod.GET, null), withLength());

		assertThat(response.headers().contains(HttpHeaderNames.CONNECTION)).isFalse();
	}

	@Test
	void answersWithoutABodyLoseTheChunkedEncodingButNotTheConnection() {
		HttpResponse head = answer(request(HttpVersion.HTTP_1_0, HttpMethod.HEAD, "keep-alive"), streamed());
		HttpResponse noContent = new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.NO_CONTENT);
		HttpUtil.setTransferEncodingChunked(noContent, true);
		answer(request(HttpVersion.HTTP_1_0, HttpMethod.GET, "keep-alive"), noContent);

		assertThat(head.headers().contains(HttpHeaderNames.TRANSFER_ENCODING)).isFalse();
		assertThat(head.headers().get(HttpHeaderNames.CONNECTION)).isEqualTo("keep-alive");
		assertThat(noContent.headers().contains(HttpHeaderNames.TRANSFER_ENCODING)).isFalse();
		assertThat(noContent.headers().get(HttpHeaderNames.CONNECTION)).isEqualTo("keep-alive");
	}

	@Test
	void anHttp11ClientsResponseIsLeftAsItIs() {
		answer(request(HttpVersion.HTTP_1_0, HttpMethod.GET, null), withLength());

		HttpResponse response = answer(request(HttpVersion.HTTP_1_1, HttpMethod.GET, null), streamed());

		assertThat(HttpUtil.isTransferEncodingChunked(response)).isTrue();
		assertThat(response.headers().contains(HttpHeaderNames.CONNECTION)).isFalse();
	}

	@Test
	void afterASwitchOfProtocolsNothingIsTouched() {
		answer(request(HttpVersion.HTTP_1_0, HttpMethod.GET, "Upgrade"),
				new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.SWITCHING_PROTOCOLS));

		HttpResponse response = streamed();
		this.channel.writeOutbound(response);

		assertThat(HttpUtil.isTransferEncodingChunked(response)).isTrue();
	}

	@Test
	void isAddedOnceAfterReactorNettysTrafficHandler() {
		Http10Responses.addTo(this.channel.pipeline());

		assertThat(this.channel.pipeline().names()).containsSubsequence(NettyPipeline.HttpTrafficHandler,
				Http10Responses.HANDLER_NAME);
		assertThat(this.channel.pipeline().names()).containsOnlyOnce(Http10Responses.HANDLER_NAME);
	}

	@Test
	void isNotAddedWithoutReactorNettysTrafficHandler() {
		EmbeddedChannel other = new EmbeddedChannel((ChannelHandler) new ChannelDuplexHandler());

		Http10Responses.addTo(other.pipeline());

		assertThat(other.pipeline().get(Http10Responses.HANDLER_NAME)).isNull();
	}

	private HttpResponse answer(HttpRequest request, HttpResponse response) {
		this.channel.writeInbound(request);
		this.channel.writeOutbound(response);
		return response;
	}

	private static HttpResponse withLength() {
		HttpResponse response = new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK);
		HttpUtil.setContentLength(response, 100);
		return response;
	}

}
