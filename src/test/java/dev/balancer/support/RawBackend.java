package dev.balancer.support;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.zip.GZIPOutputStream;

/**
 * A backend that breaks HTTP on purpose, on a plain socket: it reads a request head and then misbehaves as
 * told, except on {@link TestBackend#HEALTH_PATH}, which gets a proper 200 so that it stays in rotation.
 */
public final class RawBackend implements AutoCloseable {

	/** How it misbehaves. */
	public enum Behaviour {

		/** Resets the connection without answering. */
		RESET_BEFORE_RESPONSE,

		/**
		 * Starts a 200 with a Content-Length of 100000, sends 100 bytes, resets. The balancer streams a body this
		 * long: the client has the head before the reset.
		 */
		TRUNCATE_WITH_LENGTH,

		/**
		 * Starts a 200 with a Content-Length of 1000, sends 100 bytes, resets. The balancer holds a body this
		 * short back until it is complete: nothing reaches the client before the reset.
		 */
		TRUNCATE_SHORT_WITH_LENGTH,

		/** Starts a chunked 200, sends one chunk, resets before the last one. */
		TRUNCATE_CHUNKED,

		/**
		 * Answers by path, then closes: {@code /hints} with a 102 Processing and a 103 Early Hints, 50 ms apart,
		 * then a 200 with the body {@code hinted} (not a fault); {@code /trickle} with a 200 whose 50-byte body
		 * comes in five parts 100 ms apart (not a fault); {@code /stall} with a 200 of 100 bytes that sends 10 and
		 * then nothing for 1.5 s; {@code /stall-chunked} the same with one chunk; {@code /garbage} with a line that
		 * is not HTTP; {@code /gzip-chunked} with a 200 whose body is gzip-coded and chunked
		 * ({@code Transfer-Encoding: gzip, chunked}); {@code /status-99} with a status code of two digits;
		 * {@code /bad-first-chunk} with a chunked 200 whose first chunk size is not a number;
		 * {@code /long-header} with a 200 whose header is over 8 KiB, the client's limit; {@code /big} with a 200 of
		 * 32 MiB, as fast as it is taken (not a fault); anything else with a status line whose code is not a number.
		 */
		HEADS_BY_PATH

	}

	/** Length of the body of {@code /big} in {@link Behaviour#HEADS_BY_PATH}. */
	public static final int BIG_LENGTH = 32 * 1024 * 1024;

	private final ServerSocket server;

	private final Behaviour behaviour;

	private final AtomicInteger misbehaved = new AtomicInteger();

	private RawBackend(ServerSocket server, Behaviour behaviour) {
		this.server = server;
		this.behaviour = behaviour;
	}

	public static RawBackend start(Behaviour behaviour) {
		try {
			RawBackend backend = new RawBackend(new ServerSocket(0, 50, InetAddress.getLoopbackAddress()), behaviour);
			Thread acceptor = new Thread(backend::acceptAll, "raw-backend");
			acceptor.setDaemon(true);
			acceptor.start();
			return backend;
		}
		catch (IOException ex) {
			throw new UncheckedIOException(ex);
		}
	}

	public String url() {
		return "http://127.0.0.1:" + this.server.getLocalPort();
	}

	/** Requests it misbehaved on (for {@link Behaviour#HEADS_BY_PATH}: answered). */
	public int misbehaved() {
		return this.misbehaved.get();
	}

	@Override
	public void close() throws IOException {
		this.server.close();
	}

	private void acceptAll() {
		while (!this.server.isClosed()) {
			try (Socket socket = this.server.accept()) {
				String head = readHead(socket.getInputStream());
				OutputStream out = socket.getOutputStream();
				if (head.startsWith("GET " + TestBackend.HEALTH_PATH + " ")) {
					out.write(ascii("HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"));
					out.flush();
					continue;
				}
				this.misbehaved.incrementAndGet();
				if (this.behaviour == Behaviour.HEADS_BY_PATH) {
					answerByPath(head, out);
					continue;
				}
				String part = "x".repeat(100);
				if (this.behaviour == Behaviour.TRUNCATE_WITH_LENGTH) {
					out.write(ascii("HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n" + part));
				}
				else if (this.behaviour == Behaviour.TRUNCATE_SHORT_WITH_LENGTH) {
					out.write(ascii("HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n" + part));
				}
				else if (this.behaviour == Behaviour.TRUNCATE_CHUNKED) {
					out.write(ascii("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n64\r\n" + part + "\r\n"));
				}
				out.flush();
				if (this.behaviour != Behaviour.RESET_BEFORE_RESPONSE) {
					Thread.sleep(50); // let the balancer pass the first part on before the reset
				}
				socket.setSoLinger(true, 0); // close() now sends RST instead of FIN
			}
			catch (IOException ex) {
				// closed while accepting, or the peer went away: carry on until closed
			}
			catch (InterruptedException ex) {
				Thread.currentThread().interrupt();
				return;
			}
		}
	}

	private static void answerByPath(String head, OutputStream out) throws IOException, InterruptedException {
		String target = head.split(" ", 3)[1];
		if (target.equals("/hints")) {
			out.write(ascii("HTTP/1.1 102 Processing\r\n\r\n"));
			out.flush();
			Thread.sleep(50); // each in a read of its own
			out.write(ascii("HTTP/1.1 103 Early Hints\r\nLink: </style.css>; rel=preload\r\n\r\n"));
			out.flush();
			Thread.sleep(50);
			out.write(ascii("HTTP/1.1 200 OK\r\nContent-Length: 6\r\nConnection: close\r\n\r\nhinted"));
		}
		else if (target.equals("/late-hints")) {
			// Go's net/http sends its 103 as soon as the handler asks, its 200 later: each in a packet of its own,
			// on a connection kept open after the response
			out.write(ascii("HTTP/1.1 103 Early Hints\r\nLink: </style.css>; rel=preload\r\n\r\n"));
			out.flush();
			Thread.sleep(500);
			out.write(ascii("HTTP/1.1 200 OK\r\nContent-Length: 6\r\n\r\nhinted"));
			out.flush();
			Thread.sleep(6000); // longer than a client waits (RawRequests): a close would make the balancer read
		}
		else if (target.equals("/unasked-101")) {
			out.write(ascii("HTTP/1.1 101 Switching Protocols\r\nUpgrade: foo\r\nConnection: Upgrade\r\n\r\n"
					+ "foo's own bytes"));
			out.flush();
			Thread.sleep(1000); // the connection stays open: one the pool must not take back
		}
		else if (target.equals("/204-with-length")) {
			out.write(ascii("HTTP/1.1 204 No Content\r\nContent-Length: 5\r\nConnection: close\r\n\r\n"));
		}
		else if (target.equals("/trickle")) {
			out.write(ascii("HTTP/1.1 200 OK\r\nContent-Length: 50\r\nConnection: close\r\n\r\n"));
			for (int i = 0; i < 5; i++) {
				out.flush();
				Thread.sleep(100);
				out.write(ascii("0123456789"));
			}
		}
		else if (target.equals("/stall")) {
			out.write(ascii("HTTP/1.1 200 OK\r\nContent-Length: 100\r\nConnection: close\r\n\r\n0123456789"));
			out.flush();
			Thread.sleep(1500);
		}
		else if (target.equals("/stall-chunked")) {
			out.write(ascii("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
					+ "a\r\n0123456789\r\n"));
			out.flush();
			Thread.sleep(1500);
		}
		else if (target.equals("/big")) {
			out.write(ascii("HTTP/1.1 200 OK\r\nContent-Length: " + BIG_LENGTH + "\r\nConnection: close\r\n\r\n"));
			byte[] part = new byte[64 * 1024];
			for (int sent = 0; sent < BIG_LENGTH; sent += part.length) {
				out.write(part);
			}
		}
		else if (target.equals("/garbage")) {
			out.write(ascii("hello there\r\n\r\n"));
		}
		else if (target.equals("/gzip-chunked")) {
			// "hello" compressed, in one chunk: the coding is gzip, the framing chunked
			ByteArrayOutputStream compressed = new ByteArrayOutputStream();
			try (GZIPOutputStream gzip = new GZIPOutputStream(compressed)) {
				gzip.write(ascii("hello"));
			}
			out.write(ascii("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\nConnection: close\r\n\r\n"
					+ Integer.toHexString(compressed.size()) + "\r\n"));
			compressed.writeTo(out);
			out.write(ascii("\r\n0\r\n\r\n"));
		}
		else if (target.equals("/bad-first-chunk")) {
			out.write(ascii("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
					+ "zz\r\nhello\r\n0\r\n\r\n"));
		}
		else if (target.equals("/short")) {
			out.write(ascii("HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n" + "x".repeat(50_000)));
		}
		else if (target.equals("/dated")) {
			out.write(ascii("HTTP/1.1 200 OK\r\nDate: Sun, 06 Nov 1994 08:49:37 GMT\r\nContent-Length: 2\r\n"
					+ "Connection: close\r\n\r\nok"));
		}
		else if (target.equals("/status-99")) {
			out.write(ascii("HTTP/1.1 99 Odd\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok"));
		}
		else if (target.equals("/long-header")) {
			out.write(ascii("HTTP/1.1 200 OK\r\nSet-Cookie: big=" + "c".repeat(9000)
					+ "\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok"));
		}
		else {
			out.write(ascii("HTTP/1.1 abc Fine\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok"));
		}
		out.flush();
	}

	private static byte[] ascii(String text) {
		return text.getBytes(StandardCharsets.US_ASCII);
	}

	/** An HTTP message head (request or response) up to its blank line, or what came before the stream ended. */
	public static String readHead(InputStream in) throws IOException {
		ByteArrayOutputStream head = new ByteArrayOutputStream();
		byte[] end = { '\r', '\n', '\r', '\n' };
		int matched = 0;
		while (matched < end.length) {
			int next = in.read();
			if (next < 0) {
				break;
			}
			head.write(next);
			matched = (next == end[matched]) ? matched + 1 : ((next == '\r') ? 1 : 0);
		}
		return head.toString(StandardCharsets.US_ASCII);
	}

}
