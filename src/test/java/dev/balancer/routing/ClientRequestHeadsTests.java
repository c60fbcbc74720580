package dev.balancer.routing;

import java.nio.charset.StandardCharsets;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.ssl.SslHandshakeCompletionEvent;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.util.ReferenceCountUtil;
import org.junit.jupiter.api.Test;
import reactor.netty.ConnectionObserver;
import reactor.netty.NettyPipeline;

import dev.balancer.metrics.ClientErrors;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Which parts of a request target are percent-encoded before Spring reads it, and which stay as sent; which
 * {@code Host} headers and targets are refused, and how a request that is not valid HTTP is answered.
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
		String target = "/a//b;v=1/caf%C3%A9?a=1&a=2&&=x&d=a+b&e=[1]&f=%2f#frag";

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
	void escapesAlreadyThereStayAsSent() {
		assertThat(ClientRequestHeads.encoded("/50%25off/caf%c3%a9|?q=%2F|")).isEqualTo("/50%25off/caf%c3%a9%7C?q=%2F%7C");
	}

	@Test
	void aTargetWithAMalformedEscapeOrAControlCharacterHasNoEncodedForm() {
		assertThat(List.of("/50%off", "/a?q=%zz", "/a%2", "/a%", "/%g0", "/a|b?c=%"))
			.allSatisfy((target) -> assertThat(ClientRequestHeads.encoded(target)).as(target).isNull())
			.allSatisfy((target) -> assertThat(ClientRequestHeads.targetFault(target))
				.isEqualTo("a malformed percent-escape in the request target"));
		assertThat(List.of("/a\u0000", "/\u0001\u00ff", "/a?b=\u001f", "/%zz\u0007"))
			.allSatisfy((target) -> assertThat(ClientRequestHeads.encoded(target)).as(target).isNull())
			.allSatisfy((target) -> assertThat(ClientRequestHeads.targetFault(target))
				.isEqualTo("a control character in the request target"));
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
		assertThat(ClientRequestHeads.hostFault(request(HttpVersion.HTTP_1_1, "lb.example:8080"), false)).isNull();
		assertThat(ClientRequestHeads.hostFault(request(HttpVersion.HTTP_1_1), false)).isEqualTo("no Host header");
		assertThat(ClientRequestHeads.hostFault(request(HttpVersion.HTTP_1_0), false)).isNull();
		assertThat(ClientRequestHeads.hostFault(request(HttpVersion.HTTP_1_1, "a.example", "b.example"), false))
			.isEqualTo("more than one Host header");
		assertThat(ClientRequestHeads.hostFault(request(HttpVersion.HTTP_1_0, "a b"), false))
			.isEqualTo("a Host header that is not a host and port");
	}

	/** An HTTP/2 request's {@code :authority} is its {@code Host} by then: the reason names both. */
	@Test
	void namesTheAuthorityOfAnHttp2Request() {
		assertThat(ClientRequestHeads.hostFault(request(HttpVersion.HTTP_1_1, "lb.example"), true)).isNull();
		assertThat(ClientRequestHeads.hostFault(request(HttpVersion.HTTP_1_1), true))
			.isEqualTo("no :authority or Host");
		assertThat(ClientRequestHeads.hostFault(request(HttpVersion.HTTP_1_1, "a/b"), true))
			.isEqualTo("a :authority or Host that is not a host and port");
	}

	@Test
	void aTargetIsAPathAnAbsoluteUrlAnAsteriskForOptionsOrAnythingForConnect() {
		assertThat(ClientRequestHeads.isTargetForm("/", HttpMethod.GET)).isTrue();
		assertThat(ClientRequestHeads.isTargetForm("//a/b?c", HttpMethod.GET)).isTrue();
		assertThat(ClientRequestHeads.isTargetForm("http://api.example/a", HttpMethod.POST)).isTrue();
		assertThat(ClientRequestHeads.isTargetForm("*", HttpMethod.OPTIONS)).isTrue();
		assertThat(ClientRequestHeads.isTargetForm("example.com:443", HttpMethod.CONNECT)).isTrue();

		assertThat(ClientRequestHeads.isTargetForm("*", HttpMethod.GET)).isFalse();
		for (String target : new String[] { "", "x", "#x", "?a", "@127.0.0.1:1/", "example.com:443", "mailto:a" }) {
			assertThat(ClientRequestHeads.isTargetForm(target, HttpMethod.GET)).as(target).isFalse();
		}
	}

	@Test
	void theAuthorityOfAnAbsoluteFormTargetIsItsHostAndPort() {
		assertThat(ClientRequestHeads.authority("http://api.example:8080/a?b=1")).isEqualTo("api.example:8080");
		assertThat(ClientRequestHeads.authority("https://user:secret@api.example?q")).isEqualTo("api.example");
		assertThat(ClientRequestHeads.authority("http://[::1]:81#f")).isEqualTo("[::1]:81");
		assertThat(ClientRequestHeads.authority("http:///a")).isEmpty();
		assertThat(ClientRequestHeads.authority("/a/http://b.example/")).isNull();
		assertThat(ClientRequestHeads.authority("*")).isNull();
	}

	@Test
	void theHostOfAnAbsoluteFormTargetWinsOverTheHostHeader() {
		EmbeddedChannel channel = clientConnection();

		channel.writeInbound(ascii("GET http://api.example:8080/a?b=1 HTTP/1.1\r\nHost: other.example\r\n\r\n"));

		HttpRequest request = channel.readInbound();
		assertThat(request.headers().getAll(HttpHeaderNames.HOST)).containsExactly("api.example:8080");
		assertThat(request.uri()).isEqualTo("http://api.example:8080/a?b=1");
		ReferenceCountUtil.release(request);
		channel.finishAndReleaseAll();
	}

	@Test
	void anAbsoluteFormTargetWithoutAHostIsAnsweredWithAJson400() {
		EmbeddedChannel channel = clientConnection();

		channel.writeInbound(ascii("GET http:///a HTTP/1.1\r\nHost: lb\r\n\r\n"));

		assertThat(channel.<Object>readInbound()).as("passed on").isNull();
		assertThat(answer(channel)).startsWith("HTTP/1.1 400 Bad Request\r\n")
			.endsWith("\"message\":\"The request is not valid HTTP: a request target whose host is not a host and"
					+ " port\"}");
		channel.finishAndReleaseAll();
	}

	@Test
	void optionsForTheWholeServerIsAnsweredHereAndGoesNoFurther() {
		EmbeddedChannel channel = clientConnection();

		channel.writeInbound(ascii("OPTIONS * HTTP/1.1\r\nHost: lb\r\n\r\nGET / HTTP/1.1\r\nHost: lb\r\n\r\n"));

		assertThat(channel.<Object>readInbound()).as("passed on").isNull();
		assertThat(answer(channel))
			.matches("HTTP/1\\.1 200 OK\r\ncontent-length: 0\r\ndate: [^\r]+ GMT\r\nconnection: close\r\n\r\n");
		assertThat(channel.isOpen()).isFalse();
		channel.finishAndReleaseAll();
	}

	@Test
	void aRequestWithABadHostHeaderIsAnsweredWithAJson400AndGoesNoFurther() {
		EmbeddedChannel channel = clientConnection();

		channel.writeInbound(ascii("POST / HTTP/1.1\r\nHost: a\r\nHost: b\r\nContent-Length: 5\r\n\r\nhello"));

		assertThat(channel.<Object>readInbound()).as("passed on").isNull(); // neither the head nor its body
		assertThat(answer(channel)).startsWith("HTTP/1.1 400 Bad Request\r\n")
			.contains("\r\ncontent-type: application/json\r\n", "\r\nconnection: close\r\n")
			.endsWith("\r\n\r\n{\"status\":400,\"error\":\"Bad Request\","
					+ "\"message\":\"The request is not valid HTTP: more than one Host header\"}");
		assertThat(channel.isOpen()).as("open").isFalse();
	}

	@Test
	void aRequestNettyCouldNotDecodeIsAnsweredWithItsReasonInPrintableAscii() {
		EmbeddedChannel channel = clientConnection();

		channel.writeInbound(ascii("GET / HTTP/1.1\r\nHost: a\r\nContent-Length: +3\"\\\r\n\r\n"));

		assertThat(channel.<Object>readInbound()).isNull();
		assertThat(answer(channel)).startsWith("HTTP/1.1 400 Bad Request\r\n")
			.endsWith("\"message\":\"The request is not valid HTTP: Content-Length value is not a number: "
					+ "+3\\\"\\\\\"}");
		assertThat(channel.isOpen()).isFalse();
		assertThat(ClientRequestHeads.printable("a\u0000b\u00e9\r\n")).isEqualTo("a?b???");
		assertThat(ClientRequestHeads.printable("x".repeat(300))).hasSize(200);
	}

	@Test
	void requestsOverTheSizeLimitsGetA414OrA431() {
		EmbeddedChannel longLine = clientConnection();
		longLine.writeInbound(ascii("GET /" + "a".repeat(5000) + " HTTP/1.1\r\n"));
		assertThat(answer(longLine)).startsWith("HTTP/1.1 414 URI Too Long\r\n")
			.contains("\"error\":\"URI Too Long\"");

		EmbeddedChannel longHeaders = clientConnection();
		longHeaders.writeInbound(ascii("GET / HTTP/1.1\r\nHost: a\r\nX: " + "a".repeat(9000) + "\r\n\r\n"));
		assertThat(answer(longHeaders)).startsWith("HTTP/1.1 431 Request Header Fields Too Large\r\n");
	}

	/**
	 * Each request refused here is counted once, under its reason: a second one the client pipelined behind it is
	 * dropped with the connection, not answered and not counted; a request served is not counted.
	 */
	@Test
	void eachRefusedRequestIsCountedOnceUnderItsReason() {
		Map<String, ClientErrors.Reason> refused = new LinkedHashMap<>();
		refused.put("GET /50%off HTTP/1.1\r\nHost: a\r\n\r\nGET /a% HTTP/1.1\r\nHost: a\r\n\r\n",
				ClientErrors.Reason.INVALID_REQUEST);
		refused.put("GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", ClientErrors.Reason.INVALID_REQUEST);
		refused.put("GET /" + "a".repeat(5000) + " HTTP/1.1\r\n", ClientErrors.Reason.URI_TOO_LONG);
		refused.put("GET / HTTP/1.1\r\nHost: a\r\nX: " + "a".repeat(9000) + "\r\n\r\n",
				ClientErrors.Reason.HEADERS_TOO_LARGE);
		refused.put("GET / HTTP/2.0\r\nHost: a\r\n\r\n", ClientErrors.Reason.HTTP_VERSION);
		refused.put("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip, chunked\r\n\r\n",
				ClientErrors.Reason.TRANSFER_CODING);
		for (Map.Entry<String, ClientErrors.Reason> request : refused.entrySet()) {
			Map<ClientErrors.Reason, Long> expected = refusals();
			expected.merge(request.getValue(), 1L, Long::sum);
			EmbeddedChannel channel = clientConnection();

			channel.writeInbound(ascii(request.getKey()));

			assertThat(answer(channel)).as(request.getValue().tag()).matches("(?s)HTTP/1\\.1 [45]\\d\\d .*");
			assertThat(refusals()).as(request.getValue().tag()).isEqualTo(expected);
		}
		Map<ClientErrors.Reason, Long> before = refusals();
		EmbeddedChannel served = clientConnection();
		served.writeInbound(ascii("GET / HTTP/1.1\r\nHost: a\r\n\r\n"));
		assertThat(served.<HttpRequest>readInbound().uri()).isEqualTo("/");
		EmbeddedChannel options = clientConnection();
		options.writeInbound(ascii("OPTIONS * HTTP/1.1\r\nHost: a\r\n\r\n"));
		assertThat(answer(options)).startsWith("HTTP/1.1 200 OK\r\n");
		assertThat(refusals()).isEqualTo(before);
		served.finishAndReleaseAll();
	}

	/**
	 * A head the idle timer cut off is counted as {@code head_timeout}; one whose client closed the connection
	 * in the middle is the client's business, and not counted.
	 */
	@Test
	void aHeadCutOffByTheIdleTimerIsCountedAndOneTheClientLeftIsNot() {
		Map<ClientErrors.Reason, Long> expected = refusals();
		EmbeddedChannel timedOut = clientConnection();
		timedOut.writeInbound(ascii("GET / HTTP/1.1\r\nHost: a\r\n"));
		timedOut.pipeline().fireUserEventTriggered(IdleStateEvent.FIRST_ALL_IDLE_STATE_EVENT);
		timedOut.close();
		expected.merge(ClientErrors.Reason.HEAD_TIMEOUT, 1L, Long::sum);
		assertThat(refusals()).isEqualTo(expected);

		EmbeddedChannel left = clientConnection();
		left.writeInbound(ascii("GET / HTTP/1.1\r\nHost: a\r\n"));
		left.close();
		assertThat(refusals()).isEqualTo(expected);
		assertThat(answer(timedOut) + answer(left)).isEmpty();
	}

	private static Map<ClientErrors.Reason, Long> refusals() {
		Map<ClientErrors.Reason, Long> counts = new EnumMap<>(ClientErrors.Reason.class);
		for (ClientErrors.Reason reason : ClientErrors.Reason.values()) {
			counts.put(reason, ClientErrors.timesRefused(reason));
		}
		return counts;
	}

	/**
	 * Reactor Netty answered {@code HTTP/2.0} with an empty 400 and a WARN line with the request's head, and
	 * {@code HTTP/3.0}, {@code HTTP/0.9} and {@code HTTP/1.2} in kind, with a status line of that version.
	 */
	@Test
	void aRequestOfAVersionOtherThanHttp1GetsAJson505() {
		for (String version : List.of("HTTP/2.0", "HTTP/3.0", "HTTP/0.9")) {
			EmbeddedChannel channel = clientConnection();

			channel.writeInbound(ascii("GET / " + version + "\r\nHost: a\r\n\r\n"));

			assertThat(channel.<Object>readInbound()).as("passed on").isNull();
			assertThat(answer(channel)).startsWith("HTTP/1.1 505 HTTP Version not supported\r\n")
				.contains("\r\nconnection: close\r\n")
				.endsWith("\"message\":\"The request's HTTP version is not supported: " + version
						+ " (HTTP/1.0 and HTTP/1.1 are)\"}");
			assertThat(channel.isOpen()).as("open").isFalse();
		}
	}

	/** Netty read a {@code gzip, chunked} body as chunked alone: the backend got it so, and took gzip for the body. */
	@Test
	void aRequestBodyInATransferCodingOtherThanChunkedAloneGetsAJson501() {
		EmbeddedChannel channel = clientConnection();

		channel.writeInbound(ascii("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip, chunked\r\n\r\n"
				+ "5\r\nhello\r\n0\r\n\r\n"));

		assertThat(channel.<Object>readInbound()).as("passed on").isNull();
		assertThat(answer(channel)).startsWith("HTTP/1.1 501 Not Implemented\r\n")
			.contains("\r\nconnection: close\r\n")
			.endsWith("\"message\":\"The request's Transfer-Encoding is not supported: gzip, chunked (only chunked "
					+ "is)\"}");
		assertThat(channel.isOpen()).as("open").isFalse();
	}

	@Test
	void onlyChunkedAloneIsATransferCodingOfRequests() {
		assertThat(ClientRequestHeads.unsupportedCodings(request(HttpVersion.HTTP_1_1, "a"))).isNull();
		HttpRequest chunked = request(HttpVersion.HTTP_1_1, "a");
		chunked.headers().set(HttpHeaderNames.TRANSFER_ENCODING, "Chunked");
		assertThat(ClientRequestHeads.unsupportedCodings(chunked)).isNull();
		HttpRequest twice = request(HttpVersion.HTTP_1_1, "a");
		twice.headers().add(HttpHeaderNames.TRANSFER_ENCODING, "chunked").add(HttpHeaderNames.TRANSFER_ENCODING,
				"chunked");
		assertThat(ClientRequestHeads.unsupportedCodings(twice)).isEqualTo("chunked, chunked");
		HttpRequest split = request(HttpVersion.HTTP_1_1, "a");
		split.headers().add(HttpHeaderNames.TRANSFER_ENCODING, "deflate").add(HttpHeaderNames.TRANSFER_ENCODING,
				"chunked");
		assertThat(ClientRequestHeads.unsupportedCodings(split)).isEqualTo("deflate, chunked");
	}

	@Test
	void aRequestOfALaterHttp1MinorVersionIsServedAsHttp11() {
		EmbeddedChannel channel = clientConnection();

		channel.writeInbound(ascii("GET / HTTP/1.2\r\nHost: a\r\n\r\nGET / http/1.0\r\nHost: a\r\n\r\n"));

		HttpRequest later = channel.readInbound();
		assertThat(later.protocolVersion()).isSameAs(HttpVersion.HTTP_1_1);
		ReferenceCountUtil.release(channel.readInbound()); // its end
		HttpRequest lowerCase = channel.readInbound();
		assertThat(lowerCase.protocolVersion()).isEqualTo(HttpVersion.HTTP_1_0);
		assertThat(answer(channel)).isEmpty();
	}

	@Test
	void aTargetWithAMalformedEscapeIsAnsweredWithAJson400() {
		EmbeddedChannel channel = clientConnection();

		channel.writeInbound(ascii("GET /50%off HTTP/1.1\r\nHost: a\r\n\r\nGET /next HTTP/1.1\r\nHost: a\r\n\r\n"));

		assertThat(channel.<Object>readInbound()).as("passed on").isNull(); // nor the request after it
		assertThat(answer(channel)).startsWith("HTTP/1.1 400 Bad Request\r\n")
			.endsWith("\"message\":\"The request is not valid HTTP: a malformed percent-escape in the request "
					+ "target\"}");
	}

	/**
	 * A client connection's pipeline as far as the handler: Netty's HTTP/1.1 codec, with its default limits, and a
	 * stand-in for Reactor Netty's traffic handler.
	 */
	private static EmbeddedChannel clientConnection() {
		EmbeddedChannel channel = new EmbeddedChannel();
		channel.pipeline()
			.addLast(NettyPipeline.HttpCodec, new HttpServerCodec())
			.addLast(NettyPipeline.HttpTrafficHandler, new ChannelInboundHandlerAdapter());
		ClientRequestHeads.install(ConnectionObserver.emptyListener(), channel, null);
		return channel;
	}

	/** What the handler wrote to the client, as the codec encoded it. */
	private static String answer(EmbeddedChannel channel) {
		StringBuilder answer = new StringBuilder();
		for (ByteBuf written = channel.readOutbound(); written != null; written = channel.readOutbound()) {
			answer.append(written.toString(StandardCharsets.US_ASCII));
			written.release();
		}
		channel.finishAndReleaseAll();
		return answer.toString();
	}

	private static ByteBuf ascii(String text) {
		return Unpooled.copiedBuffer(text, StandardCharsets.US_ASCII);
	}

	@Test
	void rewritesTheRequestsTargetBetweenTheHttpCodecAndReactorNettysTrafficHandler() {
		EmbeddedChannel channel = clientConnection();

		assertThat(channel.pipeline().names()).containsSubsequence(NettyPipeline.HttpCodec,
				ClientRequestHeads.HANDLER_NAME, NettyPipeline.HttpTrafficHandler);
		byte[] requestLine = "GET /caf\u00c3\u00a9?m=a|b HTTP/1.1\r\nHost: lb\r\n\r\n"
			.getBytes(StandardCharsets.ISO_8859_1);
		channel.writeInbound(Unpooled.wrappedBuffer(requestLine));
		HttpRequest request = channel.readInbound();
		assertThat(request.uri()).isEqualTo("/caf%C3%A9?m=a%7Cb");
		ReferenceCountUtil.release(request);
		channel.finishAndReleaseAll();
	}

	/** Over TLS with HTTP/2 offered, Reactor Netty sets up HTTP/1.1 when the handshake chose it. */
	@Test
	void joinsTheHttp11PipelineSetUpAfterTheTlsHandshake() {
		EmbeddedChannel channel = new EmbeddedChannel();
		channel.pipeline().addLast(NettyPipeline.H2OrHttp11Codec, new ChannelInboundHandlerAdapter());
		ClientRequestHeads.install(ConnectionObserver.emptyListener(), channel, null);
		assertThat(channel.pipeline().get(ClientRequestHeads.HANDLER_NAME)).isNull();

		channel.pipeline().remove(NettyPipeline.H2OrHttp11Codec);
		channel.pipeline()
			.addLast(NettyPipeline.HttpCodec, new HttpServerCodec())
			.addLast(NettyPipeline.HttpTrafficHandler, new ChannelInboundHandlerAdapter());
		channel.pipeline().fireUserEventTriggered(SslHandshakeCompletionEvent.SUCCESS);

		assertThat(channel.pipeline().names()).containsSubsequence(NettyPipeline.HttpCodec,
				ClientRequestHeads.HANDLER_NAME, NettyPipeline.HttpTrafficHandler)
			.doesNotContain("balancer.clientRequestHeadsAfterNegotiation");
		channel.writeInbound(ascii("GET /50%off HTTP/1.1\r\nHost: lb\r\n\r\n"));
		assertThat(answer(channel)).startsWith("HTTP/1.1 400 Bad Request\r\n");
		channel.finishAndReleaseAll();
	}

	/** ...and HTTP/2 when the handshake chose that: no handler for HTTP/1.1 then. */
	@Test
	void leavesAConnectionThatChoseHttp2AfterTheTlsHandshake() {
		EmbeddedChannel channel = new EmbeddedChannel();
		channel.pipeline().addLast(NettyPipeline.H2OrHttp11Codec, new ChannelInboundHandlerAdapter());
		ClientRequestHeads.install(ConnectionObserver.emptyListener(), channel, null);

		channel.pipeline().remove(NettyPipeline.H2OrHttp11Codec);
		channel.pipeline().addLast(NettyPipeline.HttpCodec, new ChannelInboundHandlerAdapter());
		channel.pipeline().fireUserEventTriggered(SslHandshakeCompletionEvent.SUCCESS);

		assertThat(channel.pipeline().names()).doesNotContain(ClientRequestHeads.HANDLER_NAME,
				"balancer.clientRequestHeadsAfterNegotiation");
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
