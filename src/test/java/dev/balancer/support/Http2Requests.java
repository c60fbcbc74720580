package dev.balancer.support;

import java.net.SocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.codec.http2.DefaultHttp2DataFrame;
import io.netty.handler.codec.http2.DefaultHttp2Headers;
import io.netty.handler.codec.http2.DefaultHttp2HeadersFrame;
import io.netty.handler.codec.http2.Http2DataFrame;
import io.netty.handler.codec.http2.Http2Error;
import io.netty.handler.codec.http2.Http2FrameCodecBuilder;
import io.netty.handler.codec.http2.Http2Headers;
import io.netty.handler.codec.http2.Http2HeadersFrame;
import io.netty.handler.codec.http2.Http2MultiplexHandler;
import io.netty.handler.codec.http2.Http2ResetFrame;
import io.netty.handler.codec.http2.Http2StreamChannel;
import io.netty.handler.codec.http2.Http2StreamChannelBootstrap;
import io.netty.handler.ssl.ApplicationProtocolConfig;
import io.netty.handler.ssl.ApplicationProtocolConfig.Protocol;
import io.netty.handler.ssl.ApplicationProtocolConfig.SelectedListenerFailureBehavior;
import io.netty.handler.ssl.ApplicationProtocolConfig.SelectorFailureBehavior;
import io.netty.handler.ssl.ApplicationProtocolNames;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.util.InsecureTrustManagerFactory;
import io.netty.util.AsciiString;
import io.netty.util.ReferenceCountUtil;

/**
 * One HTTP/2 connection to 127.0.0.1 (prior knowledge in clear text, or TLS choosing {@code h2}), on which each
 * request is a stream whose pseudo-headers are written as given: what HTTP/2 clients would not send, such as a
 * {@code :path} with raw bytes or a malformed escape, or no {@code :authority}.
 */
public final class Http2Requests implements AutoCloseable {

	private final EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());

	private final Channel connection;

	private Http2Requests(int port, SslContext tls) throws InterruptedException {
		this.connection = new Bootstrap().group(this.group)
			.channel(NioSocketChannel.class)
			.handler(new ChannelInitializer<Channel>() {
				@Override
				protected void initChannel(Channel channel) {
					if (tls != null) {
						channel.pipeline().addLast(tls.newHandler(channel.alloc(), "127.0.0.1", port));
					}
					channel.pipeline()
						.addLast(Http2FrameCodecBuilder.forClient().build())
						.addLast(new Http2MultiplexHandler(new ChannelInboundHandlerAdapter()))
						.addLast(new ChannelInboundHandlerAdapter() {
							@Override
							public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
								ctx.close(); // a balancer that closes the connection resets it: no test's concern
							}
						});
				}
			})
			.connect("127.0.0.1", port)
			.sync()
			.channel();
	}

	/** A connection in clear text, HTTP/2 with prior knowledge (h2c). */
	public static Http2Requests clearText(int port) throws InterruptedException {
		return new Http2Requests(port, null);
	}

	/** A TLS connection offering only {@code h2}, trusting any certificate. */
	public static Http2Requests tls(int port) throws Exception {
		SslContext tls = SslContextBuilder.forClient()
			.trustManager(InsecureTrustManagerFactory.INSTANCE)
			.applicationProtocolConfig(new ApplicationProtocolConfig(Protocol.ALPN,
					SelectorFailureBehavior.NO_ADVERTISE, SelectedListenerFailureBehavior.ACCEPT,
					ApplicationProtocolNames.HTTP_2))
			.build();
		return new Http2Requests(port, tls);
	}

	/**
	 * Request headers with the pseudo-headers of a request for {@code path}, given as the bytes of its characters
	 * (ISO-8859-1: {@code \u00c3} is the byte C3); {@code authority} {@code null} leaves {@code :authority} out.
	 */
	public static Http2Headers headers(String method, String path, String authority) {
		Http2Headers headers = new DefaultHttp2Headers(false).method(method)
			.scheme("http")
			.path(new AsciiString(path.getBytes(StandardCharsets.ISO_8859_1), false));
		if (authority != null) {
			headers.authority(authority);
		}
		return headers;
	}

	/** Sends a request without a body and waits up to 10 s for its answer. */
	public Answer send(Http2Headers headers) throws Exception {
		return send(headers, null, true);
	}

	/**
	 * Sends a request, its body in one DATA frame, ending the stream with it or leaving it open (a client still
	 * sending), and waits up to 10 s for the answer: the response's end, or a reset of the stream.
	 */
	public Answer send(Http2Headers headers, byte[] body, boolean endStream) throws Exception {
		CompletableFuture<Answer> answer = new CompletableFuture<>();
		Http2StreamChannel stream = new Http2StreamChannelBootstrap(this.connection).handler(new Collector(answer))
			.open()
			.get(10, TimeUnit.SECONDS);
		boolean bodyFollows = body != null;
		stream.write(new DefaultHttp2HeadersFrame(headers, !bodyFollows && endStream));
		if (bodyFollows) {
			stream.write(new DefaultHttp2DataFrame(Unpooled.wrappedBuffer(body), endStream));
		}
		stream.flush();
		return answer.get(10, TimeUnit.SECONDS);
	}

	/** The address of this end of the connection, as the balancer sees the client. */
	public SocketAddress localAddress() {
		return this.connection.localAddress();
	}

	/** Resets the connection (TCP RST, as a client whose network is gone), and closes this. */
	public void reset() {
		this.connection.config().setOption(ChannelOption.SO_LINGER, 0);
		close();
	}

	@Override
	public void close() {
		this.connection.close().awaitUninterruptibly(5, TimeUnit.SECONDS);
		this.group.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly(5, TimeUnit.SECONDS);
	}

	/**
	 * A stream's answer: the response's headers ({@code null} if none came) and body, the code of the reset that
	 * ended the stream or followed the response ({@code null} for none), and whether the response came to its end.
	 */
	public record Answer(Http2Headers headers, String body, Http2Error reset, boolean ended) {

		/** The response's status; {@code -1} if no response came. */
		public int status() {
			return (this.headers != null) ? Integer.parseInt(this.headers.status().toString()) : -1;
		}

	}

	/**
	 * Gathers one stream's frames; the answer is complete at the end of the stream, and a reset right after it (one
	 * the server sends to stop a body still coming) is waited for up to 1 s.
	 */
	private static final class Collector extends ChannelInboundHandlerAdapter {

		private final CompletableFuture<Answer> answer;

		private final ByteBuf body = Unpooled.buffer();

		private Http2Headers headers;

		private boolean ended;

		Collector(CompletableFuture<Answer> answer) {
			this.answer = answer;
		}

		@Override
		public void channelRead(ChannelHandlerContext ctx, Object msg) {
			try {
				if (msg instanceof Http2HeadersFrame frame) {
					this.headers = (this.headers == null) ? frame.headers() : this.headers;
					endIf(ctx, frame.isEndStream());
				}
				else if (msg instanceof Http2DataFrame frame) {
					this.body.writeBytes(frame.content());
					endIf(ctx, frame.isEndStream());
				}
			}
			finally {
				ReferenceCountUtil.release(msg);
			}
		}

		/** Netty hands a stream its resets as events, not reads, as they are not flow-controlled. */
		@Override
		public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
			if (evt instanceof Http2ResetFrame reset) {
				complete(Http2Error.valueOf(reset.errorCode()));
			}
			ctx.fireUserEventTriggered(evt);
		}

		@Override
		public void channelInactive(ChannelHandlerContext ctx) {
			complete(null);
		}

		private void endIf(ChannelHandlerContext ctx, boolean endStream) {
			if (endStream) {
				this.ended = true;
				ctx.executor().schedule(() -> complete(null), 1, TimeUnit.SECONDS);
			}
		}

		/** The first call completes the answer; later ones (the stream's close after a reset, say) do nothing. */
		private void complete(Http2Error reset) {
			if (!this.answer.isDone()) {
				this.answer.complete(new Answer(this.headers, this.body.toString(StandardCharsets.UTF_8), reset,
						this.ended));
			}
		}

		@Override
		public void handlerRemoved(ChannelHandlerContext ctx) {
			this.body.release();
		}

	}

}
