package dev.balancer.routing;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.util.ReferenceCountUtil;
import org.junit.jupiter.api.Test;
import reactor.netty.NettyPipeline;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Which requests asking to upgrade to h2c are kept on HTTP/1.1 (their {@code Upgrade} and {@code HTTP2-Settings}
 * headers taken out before the upgrade handler): those whose body is larger than the upgrade handler holds, or of
 * unknown length. Requests go through Netty's HTTP/1.1 codec, as on a client connection.
 */
class H2cUpgradeRequestsTests {

	@Test
	void goesBetweenTheCodecAndTheUpgradeHandlerWhereH2cIsOffered() {
		EmbeddedChannel offered = channel(0);
		EmbeddedChannel notOffered = new EmbeddedChannel(new HttpServerCodec());
		H2cUpgradeRequests.installer(0).onChannelInit(null, notOffered, null);

		assertThat(offered.pipeline().names()).containsSubsequence(NettyPipeline.H2CUpgradeHandler,
				offered.pipeline().context(HttpServerCodec.class).name(), "balancer.h2cUpgradeRequests", "upgrade");
		assertThat(notOffered.pipeline().names()).doesNotContain("balancer.h2cUpgradeRequests");
	}

	@Test
	void aBodyOverTheLimitOrOfUnknownLengthKeepsTheRequestOnHttp11() {
		assertThat(passedOn(1024, "h2c", "Content-Length: 1025")).doesNotContainKeys("upgrade", "http2-settings");
		assertThat(passedOn(1024, "h2c", "Transfer-Encoding: chunked")).doesNotContainKeys("upgrade",
				"http2-settings");
		assertThat(passedOn(1024, "h2c", "Content-Length: 1024")).containsKeys("upgrade", "http2-settings");
		assertThat(passedOn(1024, "h2c", "Content-Length: 0")).containsKeys("upgrade", "http2-settings");
		assertThat(passedOn(1024, "h2c", null)).containsKeys("upgrade", "http2-settings");
	}

	@Test
	void withTheDefaultLimitAnyBodyKeepsTheRequestOnHttp11() {
		assertThat(passedOn(0, "h2c", "Content-Length: 1")).doesNotContainKeys("upgrade", "http2-settings")
			.containsKeys("host", "connection", "content-length");
		assertThat(passedOn(0, "h2c", null)).containsKeys("upgrade", "http2-settings");
	}

	/** Upgraded, these reached Spring on HTTP/2 without their fault; on HTTP/1.1 the balancer refuses them. */
	@Test
	void aRequestThatIsNotValidHttpIsNotUpgraded() {
		assertThat(passedOn(0, "h2c", "Content-Length: abc")).doesNotContainKeys("upgrade", "http2-settings");
		assertThat(passedOn(0, "h2c", "Host: second.example")).doesNotContainKeys("upgrade", "http2-settings");
	}

	@Test
	void otherUpgradesWithoutALargerBodyAreLeftAlone() {
		assertThat(passedOn(0, "websocket", null)).containsEntry("upgrade", "websocket");
		assertThat(passedOn(1024, "TLS/1.0", "Content-Length: 5")).containsEntry("upgrade", "TLS/1.0");
	}

	/** Netty's upgrade handler answered these with an empty 413, as it did h2c ones. */
	@Test
	void otherUpgradesWithALargerBodyAreServedOnHttp11() {
		assertThat(passedOn(0, "websocket", "Content-Length: 5")).doesNotContainKey("upgrade")
			.containsEntry("content-length", "5");
		assertThat(passedOn(0, "foo", "Transfer-Encoding: chunked")).doesNotContainKey("upgrade");
	}

	/** A client connection's pipeline where h2c is offered, the handler added as the installer adds it. */
	private static EmbeddedChannel channel(long maxContentLength) {
		EmbeddedChannel channel = new EmbeddedChannel();
		channel.pipeline()
			.addLast(NettyPipeline.H2CUpgradeHandler, new ChannelInboundHandlerAdapter())
			.addLast(new HttpServerCodec())
			.addLast("upgrade", new ChannelInboundHandlerAdapter());
		H2cUpgradeRequests.installer(maxContentLength).onChannelInit(null, channel, null);
		return channel;
	}

	/**
	 * The headers of the request the handler passes on, names in lower case, for a POST with the given upgrade and
	 * body header (no body follows), on a new connection.
	 */
	private static Map<String, String> passedOn(long maxContentLength, String upgrade, String body) {
		EmbeddedChannel channel = channel(maxContentLength);
		String head = "POST /upload HTTP/1.1\r\nHost: localhost\r\nConnection: Upgrade, HTTP2-Settings\r\n"
				+ "Upgrade: " + upgrade + "\r\nHTTP2-Settings: AAMAAABkAAQCAAAAAAIAAAAA\r\n"
				+ ((body != null) ? body + "\r\n" : "") + "\r\n";
		channel.writeInbound(Unpooled.copiedBuffer(head, StandardCharsets.ISO_8859_1));
		List<Object> read = new ArrayList<>();
		for (Object message = channel.readInbound(); message != null; message = channel.readInbound()) {
			read.add(message);
		}
		HttpRequest request = (HttpRequest) read.get(0);
		Map<String, String> headers = new LinkedHashMap<>();
		request.headers().forEach((header) -> headers.put(header.getKey().toLowerCase(), header.getValue()));
		read.forEach(ReferenceCountUtil::release);
		channel.finishAndReleaseAll();
		return headers;
	}

}
