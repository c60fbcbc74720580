package dev.balancer.routing;

import java.nio.charset.StandardCharsets;

import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.util.ReferenceCountUtil;
import org.junit.jupiter.api.Test;
import reactor.netty.ConnectionObserver;
import reactor.netty.NettyPipeline;

import static org.assertj.core.api.Assertions.assertThat;

/** Which parts of a request target are percent-encoded before Spring reads it, and which stay as sent. */
class RequestTargetEncodingTests {

	/** The request line's bytes one to one as characters, as Netty's decoder reads them. */
	private static String asNettyReadsIt(String utf8) {
		return new String(utf8.getBytes(StandardCharsets.UTF_8), StandardCharsets.ISO_8859_1);
	}

	@Test
	void aValidTargetIsTheSameInstance() {
		String target = "/a//b;v=1/caf%C3%A9?a=1&a=2&&=x&d=a+b&e=[1]&f=%zz#frag";

		assertThat(RequestTargetEncoding.encoded(target)).isSameAs(target);
		assertThat(RequestTargetEncoding.encoded("*")).isSameAs("*");
		assertThat(RequestTargetEncoding.encoded("")).isSameAs("");
	}

	@Test
	void rawBytesAboveAsciiBecomeTheirEscapes() {
		assertThat(RequestTargetEncoding.encoded(asNettyReadsIt("/café/ü?q=café&€=1")))
			.isEqualTo("/caf%C3%A9/%C3%BC?q=caf%C3%A9&%E2%82%AC=1");
		assertThat(RequestTargetEncoding.encoded("/x?q=\u00ff\u007f")).isEqualTo("/x?q=%FF%7F");
	}

	@Test
	void charactersAUriMayNotHoldBecomeTheirEscapesAnywhere() {
		assertThat(RequestTargetEncoding.encoded("/a|b/{c}?m=a|b&j={\"k\":\"<v>\"}&r=\\^`"))
			.isEqualTo("/a%7Cb/%7Bc%7D?m=a%7Cb&j=%7B%22k%22:%22%3Cv%3E%22%7D&r=%5C%5E%60");
	}

	@Test
	void bracketsAreEncodedInThePathOnly() {
		assertThat(RequestTargetEncoding.encoded("/items[1]?ids[]=1&ids[]=2"))
			.isEqualTo("/items%5B1%5D?ids[]=1&ids[]=2");
		// an absolute-form target keeps an IPv6 host's brackets
		assertThat(RequestTargetEncoding.encoded("http://[::1]:8080/a|b")).isEqualTo("http://[::1]:8080/a%7Cb");
	}

	@Test
	void escapesAlreadyThereAndMalformedOnesStayAsSent() {
		assertThat(RequestTargetEncoding.encoded("/50%off/caf%c3%a9|?q=%zz|")).isEqualTo("/50%off/caf%c3%a9%7C?q=%zz%7C");
	}

	@Test
	void aTargetWithACharacterNoByteMakesIsLeftAsItIs() {
		String target = "/a|b/\u20ac";

		assertThat(RequestTargetEncoding.encoded(target)).isSameAs(target);
	}

	@Test
	void rewritesTheRequestsTargetRightAfterTheHttpCodec() {
		EmbeddedChannel channel = new EmbeddedChannel();
		channel.pipeline().addLast(NettyPipeline.HttpCodec, new HttpServerCodec());
		RequestTargetEncoding.install(ConnectionObserver.emptyListener(), channel, null);

		assertThat(channel.pipeline().names()).containsSubsequence(NettyPipeline.HttpCodec,
				RequestTargetEncoding.HANDLER_NAME);
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
		RequestTargetEncoding.install(ConnectionObserver.emptyListener(), channel, null);

		assertThat(channel.pipeline().get(RequestTargetEncoding.HANDLER_NAME)).isNull();
		channel.finishAndReleaseAll();
	}

}
