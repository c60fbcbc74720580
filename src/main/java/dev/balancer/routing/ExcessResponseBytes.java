package dev.balancer.routing;

import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.nio.charset.StandardCharsets;

import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.util.ByteProcessor;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.jspecify.annotations.Nullable;
import reactor.netty.Connection;
import reactor.netty.NettyPipeline;

/**
 * Bytes a backend sends after the end of its response, on backend connections, in front of the HTTP/1.1 codec:
 * the connection is closed instead of being used again, and a WARN line names the backend and the request.
 * <p>
 * A backend that sends more than its response says (a body longer than its {@code Content-Length}, as a length
 * counted in characters rather than bytes gives; a body on a 204 or a 304, or on the answer to a HEAD) left the
 * rest in Netty's decoder, which waits for it to become the next status line. The connection went back to the pool,
 * and the next request sent on it, whichever client's, got a 502 ({@code invalid version format: EXTRAHTTP/1.1}).
 * nginx does as this does ("upstream sent more data than specified in Content-Length header"): the response is
 * passed on as its head framed it, and the connection is not kept.
 * <p>
 * Netty tells no handler what its decoder holds, so this one looks at the bytes it hands the decoder: when a final
 * response ends ({@link BackendResponseHeads} tells, as the decoder hands the response's end on before it reads
 * further), what the decoder has not read of the read in hand came after the response. The decoder works on a read
 * in place whenever it holds nothing from the read before, as after the end of any body, chunk or head; a response
 * that ends in the read that completes a line split over two reads is not looked at. Bytes that come in a read of
 * their own while no request is on its way always are, but for a status line: some servers send a 408 before they
 * close an idle connection. Empty lines do not count: RFC 9112 asks clients to skip them before a status line, and
 * Netty does.
 */
final class ExcessResponseBytes extends ChannelInboundHandlerAdapter {

	/** Name of the handler in the pipeline of every HTTP/1.1 backend connection, right before the codec. */
	static final String HANDLER_NAME = "balancer.excessResponseBytes";

	private static final Log logger = LogFactory.getLog(ExcessResponseBytes.class);

	/** The lines of connections closed for excess bytes, from every connection ({@link LogBudget}). */
	private static final LogBudget EXCESS_LINES = new LogBudget();

	private static final byte[] HTTP = "HTTP/".getBytes(StandardCharsets.US_ASCII);

	/** The backend's address, as a URL, for the log. */
	private final String backend;

	/** The read the decoder is working on, while it does. */
	private @Nullable ByteBuf decoding;

	/** The request last sent. */
	private @Nullable HttpRequest request;

	/** The final response to it, once that has ended: no request is on its way then. */
	private @Nullable HttpResponse answer;

	ExcessResponseBytes(String backend) {
		this.backend = backend;
	}

	/** The backend a connection goes to, as the configuration names backends, for the log. */
	static String backend(ChannelPipeline pipeline, @Nullable SocketAddress address) {
		if (address instanceof InetSocketAddress inet) {
			return ((pipeline.get(NettyPipeline.SslHandler) != null) ? "https://" : "http://") + inet.getHostString()
					+ ":" + inet.getPort();
		}
		return String.valueOf(address);
	}

	@Override
	public void channelRead(ChannelHandlerContext ctx, Object msg) {
		if (!(msg instanceof ByteBuf bytes)) {
			ctx.fireChannelRead(msg);
			return;
		}
		if (this.request != null && this.answer != null && isExcess(bytes) && !isStatusLine(bytes)) {
			closeFor(Connection.from(ctx.channel()), bytes.readableBytes(), this.request, this.answer);
			bytes.release();
			ctx.close();
			return;
		}
		// Held until the decoder is done with it: it may release the read before it hands on a response's end.
		this.decoding = bytes.retain();
		try {
			ctx.fireChannelRead(bytes);
		}
		finally {
			this.decoding = null;
			bytes.release();
		}
	}

	/** Told by {@link BackendResponseHeads} that a request is being sent. */
	void requestSent(HttpRequest sent) {
		this.request = sent;
		this.answer = null;
	}

	/**
	 * Told by {@link BackendResponseHeads} that the final response to a request ends, before Reactor Netty is: with
	 * bytes after it, the connection is marked to be closed when Reactor Netty is done with it.
	 */
	void responseEnded(Channel channel, HttpResponse response) {
		HttpRequest answered = this.request;
		if (answered == null) {
			return; // a response no request was sent for: Reactor Netty drops it
		}
		this.answer = response;
		ByteBuf bytes = this.decoding;
		if (bytes != null && isExcess(bytes)) {
			closeFor(Connection.from(channel), bytes.readableBytes(), answered, response);
		}
	}

	private static boolean isExcess(ByteBuf bytes) {
		return bytes.isReadable() && bytes.forEachByte(ByteProcessor.FIND_NON_CRLF) != -1;
	}

	/** Whether bytes that came between responses begin as a response does; Reactor Netty drops that response. */
	private static boolean isStatusLine(ByteBuf bytes) {
		if (bytes.readableBytes() < HTTP.length) {
			return false;
		}
		for (int i = 0; i < HTTP.length; i++) {
			if (bytes.getByte(bytes.readerIndex() + i) != HTTP[i]) {
				return false;
			}
		}
		return true;
	}

	private void closeFor(Connection connection, int excess, HttpRequest request, HttpResponse response) {
		connection.markPersistent(false);
		this.answer = null; // nothing more to look at on this connection
		EXCESS_LINES.warn(logger, "backend " + this.backend + " sent " + excess + " bytes after the end of its "
				+ "response to " + request.method() + " " + ClientRequestHeads.printable(request.uri()) + " ("
				+ framing(request, response) + "): closing the connection instead of using it again");
	}

	/** How the response's head said where it ends. */
	private static String framing(HttpRequest request, HttpResponse response) {
		int status = response.status().code();
		String head = status + ", ";
		if (HttpMethod.HEAD.equals(request.method())) {
			return head + "the answer to a HEAD, which has no body";
		}
		if (status == 204 || status == 304) {
			return head + "which has no body";
		}
		String length = response.headers().get(HttpHeaderNames.CONTENT_LENGTH);
		return head + ((length != null) ? "Content-Length: " + length : "chunked");
	}

}
