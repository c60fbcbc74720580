package dev.balancer.routing;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpContent;
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

/**
 * Which of a backend's responses reach Reactor Netty's client: the final one, a 100 and a 101, never a 102 or 103;
 * and how a head that is not HTTP reaches it.
 */
class BackendResponseHeadsTests {

	private final EmbeddedChannel channel = new EmbeddedChannel();

	BackendResponseHeadsTests() {
		this.channel.pipeline().addLast(NettyPipeline.HttpCodec, new HttpClientCodec());
		BackendResponseHeads.install(ConnectionObserver.emptyListener(), this.channel, null);
		this.channel.writeOutbound(new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, "/"));
		this.channel.releaseOutbound();
	}

	@AfterEach
	void close() {
		this.channel.finishAndReleaseAll();
	}

	@Test
	void goesRightAfterTheHttpCodec() {
		assertThat(this.channel.pipeline().names()).containsSubsequence(NettyPipeline.HttpCodec,
				BackendResponseHeads.HANDLER_NAME);
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
	void aConnectionWithoutAnHttp11CodecIsLeftAsItIs() {
		EmbeddedChannel http2 = new EmbeddedChannel();
		BackendResponseHeads.install(ConnectionObserver.emptyListener(), http2, null);

		assertThat(http2.pipeline().get(BackendResponseHeads.HANDLER_NAME)).isNull();
		http2.finishAndReleaseAll();
	}

	private void receive(String bytes) {
		this.channel.writeInbound(Unpooled.copiedBuffer(bytes, StandardCharsets.US_ASCII));
	}

	/** What reached the end of the pipeline so far, one line per message. */
	private List<String> read() {
		List<String> read = new ArrayList<>();
		for (Object message = this.channel.readInbound(); message != null; message = this.channel.readInbound()) {
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
