package dev.balancer.routing;

import java.nio.charset.StandardCharsets;
import java.util.List;

import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.util.ReferenceCountUtil;
import org.junit.jupiter.api.Test;
import reactor.netty.ConnectionObserver;
import reactor.netty.NettyPipeline;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Which parts of a request target are percent-encoded before Spring reads it, and which stay as sent; which
 * {@code Host} headers are refused.
 */
class ClientRequestHeadsTests {

	private static HttpRequest request(HttpVersion version, String... hosts) {
		HttpRequest request = new DefaultHttpRequest(version, HttpMethod.GET, "/");
		for (String host : hosts) {
			request.headers().add(HttpHeaderNames.HOST, host);
		}
		return request;
	}

	/** The request line's bytes one to one as characters, as Netty's decoder reads them. */
	private static String asNettyReadsIt(String utf8) {
		return new String(utf8.getBytes(StandardCharsets.UTF_8), StandardCharsets.ISO_8859_1);
	}

	@Test
	void aValidTargetIsTheSameInstance() {
		String target = "/a//b;v=1/caf%C3%A9?a=1&a=2&&=x&d=a+b&e=[1]&f=%zz#frag";

		assertThat(ClientRequestHeads.encoded(target)).isSameAs(target);
		assertThat(ClientRequestHeads.encoded("*")).isSameAs("*");
		assertThat(ClientRequestHeads.encoded("")).isSameAs("");
	}

	@Test
	void rawBytesAboveAsciiBecomeTheirEscapes() {
		assertThat(ClientRequestHeads.encoded(asNettyReadsIt("/café/ü?q=café&€=1")))
			.isEqualTo("/caf%C3%A9/%C3%BC?q=caf%C3%A9&%E2%82%AC=1");
		assertThat(ClientRequestHeads.encoded("/x?q=\u00ff\u007f")).isEqualTo("/x?q=%FF%7F");
	}

	@Test
	void charactersAUriMayNotHoldBecomeTheirEscapesAnywhere() {
		assertThat(ClientRequestHeads.encoded("/a|b/{c}?m=a|b&j={\"k\":\"<v>\"}&r=\\^`"))
			.isEqualTo("/a%7Cb/%7Bc%7D?m=a%7Cb&j=%7B%22k%22:%22%3Cv%3E%22%7D&r=%5C%5E%60");
	}

	@Test
	void bracketsAreEncodedInThePathOnly() {
		assertThat(ClientRequestHeads.encoded("/items[1]?ids[]=1&ids[]=2"))
			.isEqualTo("/items%5B1%5D?ids[]=1&ids[]=2");
		// an absolute-form target keeps an IPv6 host's brackets
		assertThat(ClientRequestHeads.encoded("http://[::1]:8080/a|b")).isEqualTo("http://[::1]:8080/a%7Cb");
	}

	@Test
	void escapesAlreadyThereAndMalformedOnesStayAsSent() {
		assertThat(ClientRequestHeads.encoded("/50%off/caf%c3%a9|?q=%zz|")).isEqualTo("/50%off/caf%c3%a9%7C?q=%zz%7C");
	}

	@Test
	void aTargetWithACharacterNoByteMakesIsLeftAsItIs() {
		String target = "/a|b/\u20ac";

		assertThat(ClientRequestHeads.encoded(target)).isSameAs(target);
	}

	@Test
	void aHostIsANameOrAddressWithAnOptionalPort() {
		assertThat(List.of("example.com", "example.com:8080", "127.0.0.1:80", "[::1]", "[::1]:8443", "a_b.local.",
				"xn--caf-dma.example", "host:", "")).allMatch(ClientRequestHeads::validHost);
		assertThat(List.of("a b", "a/b", "a@b", "example.com:80x", "[::1", "[::1]x", "[::1]:8x", "a:1:2", "a\"b"))
			.noneMatch(ClientRequestHeads::validHost);
	}

	@Test
	void refusesAMissingRepeatedOrInvalidHostHeader() {
		assertThat(ClientRequestHeads.hostFault(request(HttpVersion.HTTP_1_1, "lb.example:8080"))).isNull();
		assertThat(ClientRequestHeads.hostFault(request(HttpVersion.HTTP_1_1))).isEqualTo("no Host header");
		assertThat(ClientRequestHeads.hostFault(request(HttpVersion.HTTP_1_0))).isNull();
		assertThat(ClientRequestHeads.hostFault(request(HttpVersion.HTTP_1_1, "a.example", "b.example")))
			.isEqualTo("more than one Host header");
		assertThat(ClientRequestHeads.hostFault(request(HttpVersion.HTTP_1_0, "a b")))
			.isEqualTo("a Host header that is not a host and port");
	}

	@Test
	void marksARequestWithABadHostHeaderAsFailedToDecode() {
		EmbeddedChannel channel = new EmbeddedChannel();
		channel.pipeline().addLast(NettyPipeline.HttpCodec, new HttpServerCodec());
		ClientRequestHeads.install(ConnectionObserver.emptyListener(), channel, null);

		channel.writeInbound(Unpooled.copiedBuffer("GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n",
				StandardCharsets.US_ASCII));
		HttpRequest request = channel.readInbound();
		assertThat(request.decoderResult().cause()).isInstanceOf(IllegalArgumentException.class)
			.hasMessage("more than one Host header");
		ReferenceCountUtil.release(request);
		channel.finishAndReleaseAll();
	}

	@Test
	void rewritesTheRequestsTargetRightAfterTheHttpCodec() {
		EmbeddedChannel channel = new EmbeddedChannel();
		channel.pipeline().addLast(NettyPipeline.HttpCodec, new HttpServerCodec());
		ClientRequestHeads.install(ConnectionObserver.emptyListener(), channel, null);

		assertThat(channel.pipeline().names()).containsSubsequence(NettyPipeline.HttpCodec,
				ClientRequestHeads.HANDLER_NAME);
		byte[] requestLine = "GET /caf\u00c3\u00a9?m=a|b HTTP/1.1\r\nHost: lb\r\n\r\n"
			.getBytes(StandardCharsets.ISO_8859_1);
		channel.writeInbound(Unpooled.wrappedBuffer(requestLine));
		HttpRequest request = channel.readInbound();
		assertThat(request.uri()).isEqualTo("/caf%C3%A9?m=a%7Cb");
		ReferenceCountUtil.release(request);
		channel.finishAndReleaseAll();
	}

	@Test
	void staysOutOfAPipelineWithoutAnHttp11Codec() {
		EmbeddedChannel channel = new EmbeddedChannel();
		ClientRequestHeads.install(ConnectionObserver.emptyListener(), channel, null);

		assertThat(channel.pipeline().get(ClientRequestHeads.HANDLER_NAME)).isNull();
		channel.finishAndReleaseAll();
	}

}
