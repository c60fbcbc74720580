package dev.balancer.routing;

import java.nio.charset.StandardCharsets;

import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOutboundHandlerAdapter;
import io.netty.channel.ChannelPromise;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.DecoderResult;
import io.netty.handler.codec.EncoderException;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.DefaultLastHttpContent;
import io.netty.handler.codec.http.FullHttpResponse;
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
import org.junit.jupiter.api.Test;

import dev.balancer.metrics.BufferMemory;

import org.springframework.http.HttpStatus;

import static dev.balancer.routing.Http1Messages.request;
import static dev.balancer.routing.Http1Messages.streamed;
import static org.assertj.core.api.Assertions.assertThat;

/** What {@link Http1Exchanges} does to the requests and responses of one connection, in a Netty pipeline. */
class Http1ExchangesTests {

	private final EmbeddedChannel channel = new EmbeddedChannel();

	Http1ExchangesTests() {
		this.channel.pipeline().addLast(Http1Exchanges.HANDLER_NAME, new Http1Exchanges());
	}

	@Test
	void aResponseThatFailsOnItsWayOutClosesTheConnection() {
		EmbeddedChannel failing = new EmbeddedChannel(new ChannelOutboundHandlerAdapter() {
			@Override
			public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
				ReferenceCountUtil.release(msg); // as Netty's encoder, out of buffer memory
				promise.setFailure(new EncoderException(new OutOfMemoryError("no memory for this test")));
			}
		}, new Http1Exchanges());
		failing.writeInbound(request(HttpVersion.HTTP_1_1, HttpMethod.GET, null));
		long before = BufferMemory.timesRanOut(BufferMemory.Shortage.RESPONSE);

		ChannelFuture written = failing.writeAndFlush(
				new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK, Unpooled.EMPTY_BUFFER));

		assertThat(written.isSuccess()).isFalse();
		assertThat(failing.isOpen()).isFalse();
		assertThat(BufferMemory.timesRanOut(BufferMemory.Shortage.RESPONSE)).isEqualTo(before + 1);
	}

	@Test
	void theCloseOptionOfAPipelinedRequestIsTakenOutAndItsOtherOptionsStay() {
		this.channel.writeInbound(request(HttpVersion.HTTP_1_1, HttpMethod.GET, null));
		this.channel.writeInbound(request(HttpVersion.HTTP_1_1, HttpMethod.GET, "close, X-Trace"));

		this.channel.readInbound();
		HttpRequest second = this.channel.readInbound();
		assertThat(second.headers().getAll(HttpHeaderNames.CONNECTION)).containsExactly("X-Trace");
		assertThat(HttpUtil.isKeepAlive(second)).isTrue();
	}

	@Test
	void aPipelinedHttp10RequestIsMadeKeepAliveForReactorNetty() {
		this.channel.writeInbound(request(HttpVersion.HTTP_1_1, HttpMethod.GET, null));
		this.channel.writeInbound(request(HttpVersion.HTTP_1_0, HttpMethod.GET, null));

		this.channel.readInbound();
		assertThat(HttpUtil.isKeepAlive(this.channel.readInbound())).isTrue();
	}

	@Test
	void aRequestThatClosesWithNoneOpenBeforeItIsLeftToReactorNetty() {
		this.channel.writeInbound(request(HttpVersion.HTTP_1_1, HttpMethod.GET, "close"));

		HttpRequest passed = this.channel.readInbound();
		assertThat(passed.headers().get(HttpHeaderNames.CONNECTION)).isEqualTo("close");
	}

	@Test
	void theBodyOfTheRequestThatClosesIsTakenAndThatOfARequestAfterItIsNot() {
		this.channel.writeInbound(request(HttpVersion.HTTP_1_1, HttpMethod.GET, null));
		HttpContent closingBody = body("last");
		this.channel.writeInbound(request(HttpVersion.HTTP_1_1, HttpMethod.POST, "close"), closingBody);
		HttpContent droppedBody = body("dropped");
		this.channel.writeInbound(request(HttpVersion.HTTP_1_1, HttpMethod.POST, null), droppedBody);

		assertThat(this.channel.inboundMessages()).hasSize(3).last().isSameAs(closingBody);
		assertThat(droppedBody.refCnt()).isZero();
	}

	@Test
	void theConnectionClosesAfterTheAnswerToTheRequestThatClosesNotBefore() {
		this.channel.writeInbound(request(HttpVersion.HTTP_1_1, HttpMethod.GET, null));
		this.channel.writeInbound(request(HttpVersion.HTTP_1_1, HttpMethod.GET, "close"));
		this.channel.writeInbound(request(HttpVersion.HTTP_1_1, HttpMethod.GET, null));

		assertThat(this.channel.inboundMessages()).hasSize(2); // the third is not taken

		this.channel.writeOutbound(continueResponse()); // 100 Continue answers no request
		HttpResponse first = streamed();
		this.channel.writeOutbound(first, LastHttpContent.EMPTY_LAST_CONTENT);
		assertThat(first.headers().contains(HttpHeaderNames.CONNECTION)).isFalse();
		assertThat(this.channel.isOpen()).isTrue();

		HttpResponse second = streamed();
		this.channel.writeOutbound(second);
		assertThat(second.headers().get(HttpHeaderNames.CONNECTION)).isEqualTo("close");
		assertThat(this.channel.isOpen()).isTrue();
		this.channel.writeOutbound(LastHttpContent.EMPTY_LAST_CONTENT);
		assertThat(this.channel.isOpen()).isFalse();
	}

	@Test
	void aRefusalWaitsForTheAnswersToTheRequestsBeforeIt() {
		this.channel.writeInbound(request(HttpVersion.HTTP_1_1, HttpMethod.GET, null));
		FullHttpResponse refusal = refusal();

		assertThat(Http1Exchanges.answerInTurn(this.channel.pipeline().firstContext(), refusal)).isTrue();
		assertThat(this.channel.outboundMessages()).isEmpty();

		HttpResponse answer = streamed();
		this.channel.writeOutbound(answer, LastHttpContent.EMPTY_LAST_CONTENT);
		assertThat(this.channel.outboundMessages()).containsExactly(answer, LastHttpContent.EMPTY_LAST_CONTENT,
				refusal);
		assertThat(this.channel.isOpen()).isFalse();
	}

	@Test
	void aRefusalWithNothingOpenGoesOutAtOnce() {
		FullHttpResponse refusal = refusal();

		Http1Exchanges.answerInTurn(this.channel.pipeline().firstContext(), refusal);

		assertThat(this.channel.outboundMessages()).containsExactly(refusal);
		assertThat(this.channel.isOpen()).isFalse();
	}

	@Test
	void aRefusalAfterARequestThatClosesIsNotSent() {
		this.channel.writeInbound(request(HttpVersion.HTTP_1_1, HttpMethod.GET, "close"));
		FullHttpResponse refusal = refusal();

		Http1Exchanges.answerInTurn(this.channel.pipeline().firstContext(), refusal);

		assertThat(refusal.refCnt()).isZero();
		assertThat(this.channel.outboundMessages()).isEmpty();
	}

	@Test
	void aHeldRefusalIsReleasedWhenTheConnectionCloses() {
		this.channel.writeInbound(request(HttpVersion.HTTP_1_1, HttpMethod.GET, null));
		FullHttpResponse refusal = refusal();
		Http1Exchanges.answerInTurn(this.channel.pipeline().firstContext(), refusal);

		this.channel.close();

		assertThat(refusal.refCnt()).isZero();
	}

	@Test
	void withoutTheHandlerARefusalIsLeftToTheCaller() {
		EmbeddedChannel stream = new EmbeddedChannel(new ChannelInboundHandlerAdapter());
		FullHttpResponse refusal = refusal();

		assertThat(Http1Exchanges.answerInTurn(stream.pipeline().firstContext(), refusal)).isFalse();
		assertThat(refusal.refCnt()).isOne();
		refusal.release();
	}

	@Test
	void afterASwitchOfProtocolsNothingIsTouched() {
		this.channel.writeInbound(request(HttpVersion.HTTP_1_1, HttpMethod.GET, "Upgrade"));
		this.channel.writeOutbound(new DefaultFullHttpResponse(HttpVersion.HTTP_1_1,
				HttpResponseStatus.SWITCHING_PROTOCOLS));

		HttpRequest after = request(HttpVersion.HTTP_1_1, HttpMethod.GET, "close");
		this.channel.writeInbound(request(HttpVersion.HTTP_1_1, HttpMethod.GET, null), after);
		HttpResponse response = streamed();
		this.channel.writeOutbound(response, LastHttpContent.EMPTY_LAST_CONTENT);

		assertThat(after.headers().get(HttpHeaderNames.CONNECTION)).isEqualTo("close");
		assertThat(response.headers().contains(HttpHeaderNames.CONNECTION)).isFalse();
		assertThat(this.channel.isOpen()).isTrue();
	}

	@Test
	void aMalformedPartOfABodyIsPassedOnAsItsReasonAndTheConnectionEndsAfterTheAnswer() {
		this.channel.writeInbound(request(HttpVersion.HTTP_1_1, HttpMethod.PUT, null));
		HttpContent malformed = malformed();
		this.channel.writeInbound(malformed);

		this.channel.readInbound();
		assertThat(this.channel.<Object>readInbound())
			.isEqualTo(new Http1Exchanges.MalformedBody("Invalid character in chunk size"));
		assertThat(malformed.refCnt()).isZero();
		this.channel.writeInbound(request(HttpVersion.HTTP_1_1, HttpMethod.GET, null));
		assertThat(this.channel.<Object>readInbound()).as("taken after it").isNull();

		HttpResponse answer = streamed();
		this.channel.writeOutbound(answer);
		assertThat(answer.headers().get(HttpHeaderNames.CONNECTION)).isEqualTo("close");
		this.channel.writeOutbound(LastHttpContent.EMPTY_LAST_CONTENT);
		assertThat(this.channel.isOpen()).isFalse();
	}

	@Test
	void aMalformedPartOfABodyAfterTheAnswerWentOutClosesTheConnectionAtOnce() {
		this.channel.writeInbound(request(HttpVersion.HTTP_1_1, HttpMethod.PUT, null));
		this.channel.writeOutbound(streamed(), LastHttpContent.EMPTY_LAST_CONTENT); // a backend's early answer
		assertThat(this.channel.isOpen()).isTrue();

		this.channel.writeInbound(malformed());

		this.channel.readInbound();
		assertThat(this.channel.<Object>readInbound()).isNull();
		assertThat(this.channel.isOpen()).isFalse();
	}

	@Test
	void aMalformedPartOfABodyWhoseAnswerHasBegunClosesTheConnectionAfterIt() {
		this.channel.writeInbound(request(HttpVersion.HTTP_1_1, HttpMethod.PUT, null));
		HttpResponse answer = streamed();
		this.channel.writeOutbound(answer);

		this.channel.writeInbound(malformed());

		assertThat(this.channel.isOpen()).isTrue();
		this.channel.writeOutbound(LastHttpContent.EMPTY_LAST_CONTENT);
		assertThat(this.channel.isOpen()).isFalse();
	}

	/** A body's last part as Netty's decoder hands it on when it could not decode a chunk's size. */
	private static HttpContent malformed() {
		HttpContent content = new DefaultLastHttpContent(Unpooled.buffer(0));
		content.setDecoderResult(DecoderResult.failure(new NumberFormatException("Invalid character in chunk size")));
		return content;
	}

	private static HttpContent body(String text) {
		return new DefaultLastHttpContent(Unpooled.copiedBuffer(text, StandardCharsets.US_ASCII));
	}

	private static FullHttpResponse continueResponse() {
		return new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.CONTINUE);
	}

	private static FullHttpResponse refusal() {
		return ClientRequestHeads.jsonError(HttpStatus.BAD_REQUEST, "not valid HTTP");
	}

}
