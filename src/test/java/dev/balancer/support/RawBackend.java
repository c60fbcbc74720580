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
		TRUNCATE_CHUNKED

	}

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

	/** Requests it misbehaved on. */
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
