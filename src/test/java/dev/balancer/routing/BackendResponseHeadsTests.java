package dev.balancer.routing;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import reactor.netty.ConnectionObserver;
import reactor.netty.NettyPipeline;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Which of a backend's responses reach Reactor Netty's client: the final one, a 100 and a 101, never a 102 or 103;
 * and how a head that is not HTTP reaches it.
 */
class BackendResponseHeadsTests {

	private static final Duration READ_TIMEOUT = Duration.ofMillis(100);

	private final AtomicInteger stalls = new AtomicInteger();

	private final AtomicInteger clientStalls = new AtomicInteger();

	private final EmbeddedChannel channel = new EmbeddedChannel();

	BackendResponseHeadsTests() {
		this.channel.pipeline().addLast(NettyPipeline.HttpCodec, new HttpClientCodec());
		BackendResponseHeads.installer(READ_TIMEOUT, this.stalls::incrementAndGet, this.clientStalls::incrementAndGet)
			.onChannelInit(ConnectionObserver.emptyListener(), this.channel, null);
		this.channel.writeOutbound(new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, "/"));
		this.channel.releaseOutbound();
	}

	@AfterEach
	void close() {
		this.channel.finishAndReleaseAll();
	}

	@Test
	void goesRightAfterTheHttpCodecBehindAnIdleReadDetector() {
		assertThat(this.channel.pipeline().names()).containsSubsequence(NettyPipeline.HttpCodec,
				BackendResponseHeads.IDLE_HANDLER_NAME, BackendResponseHeads.HANDLER_NAME);
	}

	@Test
	void passesOnlyTheFinalResponseAfterAProcessingAndEarlyHints() {
		receive("HTTP/1.1 102 Processing\r\n\r\n");
		receive("HTTP/1.1 103 Early Hints\r\nLink: </a.css>; rel=preload\r\n\r\nHTTP/1.1 103 Early Hints\r\n"
				+ "Link: </b.js>; rel=preload\r\n\r\n");
		receive("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");

		assertThat(read()).containsExactly("response 200", "last content ok");
	}

	@Test
	void passesAContinueAndASwitchOfProtocolsAsReactorNettyHandlesBoth() {
		receive("HTTP/1.1 100 Continue\r\n\r\n");
		assertThat(read()).containsExactly("response 100", "last content ");

		receive("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
				+ "Sec-WebSocket-Accept: x\r\n\r\n");
		assertThat(read()).first().isEqualTo("response 101");
	}

	@Test
	void marksAHeadNettyCouldNotDecodeAsTheBackendsFault() {
		receive("hello there\r\n\r\n");

		HttpResponse response = this.channel.readInbound();
		assertThat(response.decoderResult().cause()).isInstanceOf(BackendResponseHeads.InvalidResponseException.class)
			.hasMessage("invalid version format: HELLO")
			.hasCauseInstanceOf(IllegalArgumentException.class);
		ReferenceCountUtil.release(response);
	}

	@Test
	void marksAResponseWithCodingsOtherThanChunkedAloneAsTheBackendsFault() {
		receive("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n");

		HttpResponse response = this.channel.readInbound();
		assertThat(response.decoderResult().cause()).isInstanceOf(BackendResponseHeads.InvalidResponseException.class)
			.hasMessage("its Transfer-Encoding is not supported: gzip, chunked (only chunked is)");
		ReferenceCountUtil.release(response);
	}

	@Test
	void marksAStatusCodeThatIsNotThreeDigitsAsTheBackendsFault() {
		for (String status : new String[] { "99", "000", "1000" }) {
			receive("HTTP/1.1 " + status + " Odd\r\nContent-Length: 0\r\n\r\n");

			HttpResponse response = this.channel.readInbound();
			assertThat(response.decoderResult().cause()).as(status)
				.isInstanceOf(BackendResponseHeads.InvalidResponseException.class)
				.hasMessage("the status code is not three digits: " + Integer.parseInt(status));
			ReferenceCountUtil.release(response);
			read();
		}
	}

	@Test
	void passesAStatusCodeOfThreeDigitsBeyondTheKnownOnes() {
		receive("HTTP/1.1 999 Odd\r\nContent-Length: 0\r\n\r\n");

		assertThat(read()).containsExactly("response 999", "last content ");
	}

	@Test
	void marksABodyNettyCouldNotDecodeAsTheBackendsFault() {
		receive("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n");

		HttpResponse response = this.channel.readInbound();
		assertThat(response.decoderResult().isSuccess()).isTrue();
		ReferenceCountUtil.release(response);
		LastHttpContent content = this.channel.readInbound();
		assertThat(content.decoderResult().cause()).isInstanceOf(BackendResponseHeads.InvalidResponseException.class)
			.hasMessage("Invalid character in chunk size")
			.hasCauseInstanceOf(NumberFormatException.class);
		content.release();
	}

	@Test
	void passesAChunkedResponse() {
		receive("HTTP/1.1 200 OK\r\nTransfer-Encoding: Chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n");

		HttpResponse response = this.channel.readInbound();
		assertThat(response.decoderResult().isSuccess()).isTrue();
		ReferenceCountUtil.release(response);
		assertThat(read()).containsExactly("content ok", "last content ");
	}

	@Test
	void aResponseThatFallsSilentForTheReadTimeoutFailsAndItsConnectionCloses() throws InterruptedException {
		receive("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n0123456789");
		assertThat(read()).containsExactly("response 200", "content 0123456789");

		letTheReadTimeoutPass();

		assertThatThrownBy(this.channel::checkException)
			.isInstanceOf(BackendResponseHeads.StalledResponseException.class)
			.hasMessage("the backend sent nothing for 100 ms in the middle of its response");
		assertThat(this.channel.isOpen()).isFalse();
		assertThat(this.stalls).hasValue(1);
	}

	@Test
	void aResponseNotReadBecauseItsClientTakesNoneIsCutOffAsTheClientsDoing() throws InterruptedException {
		receive("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n0123456789");
		assertThat(read()).containsExactly("response 200", "content 0123456789");
		this.channel.config().setAutoRead(false); // what Reactor Netty does while the client takes nothing

		letTheReadTimeoutPass();

		assertThatThrownBy(this.channel::checkException)
			.isInstanceOf(BackendResponseHeads.StalledClientException.class)
			.hasMessage("the client took none of the response for 100 ms");
		assertThat(UpstreamFailure.of(new IllegalStateException(new BackendResponseHeads.StalledClientException(
				READ_TIMEOUT)))).isEqualTo(UpstreamFailure.CLIENT_TIMEOUT);
		assertThat(this.channel.isOpen()).isFalse();
		assertThat(this.clientStalls).hasValue(1);
		assertThat(this.stalls).hasValue(0);
	}

	@Test
	void silenceBetweenResponsesIsLeftToThePool() throws InterruptedException {
		receive("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
		assertThat(read()).containsExactly("response 200", "last content ok");

		letTheReadTimeoutPass();

		assertNothingWasCut();
	}

	@Test
	void aWebSocketSessionIsNeverCut() throws InterruptedException {
		DefaultFullHttpRequest handshake = new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, "/chat");
		handshake.headers().set("Upgrade", "websocket").set("Connection", "Upgrade");
		this.channel.writeOutbound(handshake);
		this.channel.releaseOutbound();
		receive("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
				+ "Sec-WebSocket-Accept: x\r\n\r\n");
		assertThat(read()).first().isEqualTo("response 101");
		assertThat(this.channel.pipeline().get(BackendResponseHeads.IDLE_HANDLER_NAME)).isNull();

		letTheReadTimeoutPass();

		assertNothingWasCut();
	}

	@Test
	void aConnectionWithoutAnHttp11CodecIsLeftAsItIs() {
		EmbeddedChannel http2 = new EmbeddedChannel();
		BackendResponseHeads.installer(READ_TIMEOUT, this.stalls::incrementAndGet, this.clientStalls::incrementAndGet)
			.onChannelInit(ConnectionObserver.emptyListener(), http2, null);

		assertThat(http2.pipeline().get(BackendResponseHeads.HANDLER_NAME)).isNull();
		http2.finishAndReleaseAll();
	}

	/** Waits twice the read timeout, then runs what the channel's loop has scheduled by then. */
	private void letTheReadTimeoutPass() throws InterruptedException {
		Thread.sleep(READ_TIMEOUT.toMillis() * 2);
		this.channel.runScheduledPendingTasks();
	}

	private void assertNothingWasCut() {
		this.channel.checkException();
		assertThat(this.channel.isOpen()).isTrue();
		assertThat(this.stalls).hasValue(0);
		assertThat(this.clientStalls).hasValue(0);
	}

	private void receive(String bytes) {
		this.channel.writeInbound(Unpooled.copiedBuffer(bytes, StandardCharsets.US_ASCII));
	}

	private List<String> read() {
		return Http1Messages.readResponses(this.channel);
	}

}
