package dev.balancer.routing;

import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;

import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpVersion;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import reactor.netty.Connection;
import reactor.netty.ConnectionObserver;
import reactor.netty.NettyPipeline;

import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Bytes a backend sends after the end of its response ({@link ExcessResponseBytes}): the connection is not used
 * again, where the bytes stayed in the decoder and failed the next request sent on it; empty lines, a 100 Continue
 * and the next request's response are not taken for excess.
 */
@ExtendWith(OutputCaptureExtension.class)
class ExcessResponseBytesTests {

	private final EmbeddedChannel channel = new EmbeddedChannel();

	ExcessResponseBytesTests() {
		this.channel.pipeline().addLast(NettyPipeline.HttpCodec, new HttpClientCodec());
		BackendResponseHeads.installer(Duration.ofSeconds(60), () -> { }, () -> { })
			.onChannelInit(ConnectionObserver.emptyListener(), this.channel,
					InetSocketAddress.createUnresolved("backend.local", 8081));
	}

	@AfterEach
	void close() {
		this.channel.finishAndReleaseAll();
	}

	@Test
	void goesRightBeforeTheHttpCodec() {
		assertThat(this.channel.pipeline().names()).containsSubsequence(ExcessResponseBytes.HANDLER_NAME,
				NettyPipeline.HttpCodec, BackendResponseHeads.HANDLER_NAME);
	}

	@Test
	void aBodyLongerThanItsLengthSaysIsPassedOnAsLongAsThatAndItsConnectionIsNotKept(CapturedOutput output) {
		send(HttpMethod.GET, "/a?b=c");
		receive("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nokEXTRA");

		assertThat(read()).containsExactly("response 200", "last content ok");
		assertThat(isKept()).isFalse();
		assertThat(output.getOut()).contains(" WARN ", "backend http://backend.local:8081 sent 5 bytes after the end "
				+ "of its response to GET /a?b=c (200, Content-Length: 2): closing the connection instead of using it "
				+ "again");
	}

	@Test
	void aBodyOnANoContentIsExcess(CapturedOutput output) {
		send(HttpMethod.GET, "/");
		receive("HTTP/1.1 204 No Content\r\n\r\n{}");

		assertThat(read()).containsExactly("response 204", "last content ");
		assertThat(isKept()).isFalse();
		assertThat(output.getOut()).contains("sent 2 bytes after the end of its response to GET / (204, which has no "
				+ "body)");
	}

	@Test
	void aBodyOnTheAnswerToAHeadIsExcess(CapturedOutput output) {
		send(HttpMethod.HEAD, "/page");
		receive("HTTP/1.1 200 OK\r\nContent-Length: 6\r\n\r\n<html>");

		assertThat(read()).containsExactly("response 200", "last content ");
		assertThat(isKept()).isFalse();
		assertThat(output.getOut()).contains("sent 6 bytes after the end of its response to HEAD /page (200, the "
				+ "answer to a HEAD, which has no body)");
	}

	@Test
	void bytesThatComeAfterTheResponseInAReadOfTheirOwnCloseTheConnection(CapturedOutput output) {
		send(HttpMethod.GET, "/");
		receive("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n");
		assertThat(read()).containsExactly("response 200", "content ok", "last content ");
		assertThat(isKept()).isTrue();

		receive("EXTRA");

		assertThat(this.channel.isOpen()).isFalse();
		assertThat(read()).isEmpty();
		assertThat(output.getOut()).contains("sent 5 bytes after the end of its response to GET / (200, chunked)");
	}

	@Test
	void emptyLinesAfterAResponseAreNoExcessAndTheNextResponseIsRead() {
		send(HttpMethod.GET, "/");
		receive("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok\r\n");
		receive("\r\n");
		assertThat(read()).containsExactly("response 200", "last content ok");
		assertThat(isKept()).isTrue();

		send(HttpMethod.GET, "/next");
		receive("HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nnext");

		assertThat(read()).containsExactly("response 200", "last content next");
		assertThat(isKept()).isTrue();
		assertThat(this.channel.isOpen()).isTrue();
	}

	@Test
	void theFinalResponseAfterAContinueIsNoExcess() {
		send(HttpMethod.POST, "/upload");
		receive("HTTP/1.1 100 Continue\r\n\r\n");
		receive("HTTP/1.1 201 Created\r\nContent-Length: 0\r\n\r\n");

		assertThat(read()).containsExactly("response 100", "last content ", "response 201", "last content ");
		assertThat(isKept()).isTrue();
		assertThat(this.channel.isOpen()).isTrue();
	}

	@Test
	void aResponseComingOnAnIdleConnectionIsLeftToReactorNetty() {
		send(HttpMethod.GET, "/");
		receive("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
		assertThat(read()).containsExactly("response 200", "last content ok");

		receive("HTTP/1.1 408 Request Timeout\r\nConnection: close\r\nContent-Length: 0\r\n\r\n");

		assertThat(read()).containsExactly("response 408", "last content ");
		assertThat(this.channel.isOpen()).isTrue();
	}

	@Test
	void aWebSocketSessionIsNotLookedAt() {
		DefaultFullHttpRequest handshake = new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, "/socket");
		handshake.headers().set("Upgrade", "websocket").set("Connection", "Upgrade");
		this.channel.writeOutbound(handshake);
		this.channel.releaseOutbound();
		receive("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
				+ "Sec-WebSocket-Accept: x\r\n\r\n");

		assertThat(this.channel.pipeline().get(ExcessResponseBytes.HANDLER_NAME)).isNull();
	}

	private void send(HttpMethod method, String uri) {
		this.channel.writeOutbound(new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, method, uri));
		this.channel.releaseOutbound();
	}

	private void receive(String bytes) {
		this.channel.writeInbound(Unpooled.copiedBuffer(bytes, StandardCharsets.US_ASCII));
	}

	private boolean isKept() {
		return Connection.from(this.channel).isPersistent();
	}

	private List<String> read() {
		return Http1Messages.readResponses(this.channel);
	}

}
