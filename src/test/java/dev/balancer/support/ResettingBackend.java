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
 * A backend that accepts a connection, reads the request head and then resets the connection without
 * answering, except on {@link TestBackend#HEALTH_PATH}, so that the health checker keeps it in rotation.
 */
public final class ResettingBackend implements AutoCloseable {

	private final ServerSocket server;

	private final AtomicInteger resets = new AtomicInteger();

	private ResettingBackend(ServerSocket server) {
		this.server = server;
	}

	public static ResettingBackend start() {
		try {
			ResettingBackend backend = new ResettingBackend(new ServerSocket(0, 50, InetAddress.getLoopbackAddress()));
			Thread acceptor = new Thread(backend::acceptAll, "resetting-backend");
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

	/** Requests answered with a reset. */
	public int resets() {
		return this.resets.get();
	}

	@Override
	public void close() throws IOException {
		this.server.close();
	}

	private void acceptAll() {
		while (!this.server.isClosed()) {
			try (Socket socket = this.server.accept()) {
				String head = readHead(socket.getInputStream());
				if (head.startsWith("GET " + TestBackend.HEALTH_PATH + " ")) {
					OutputStream out = socket.getOutputStream();
					out.write("HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
						.getBytes(StandardCharsets.US_ASCII));
					out.flush();
				}
				else {
					this.resets.incrementAndGet();
					socket.setSoLinger(true, 0); // close() now sends RST instead of FIN
				}
			}
			catch (IOException ex) {
				// closed while accepting, or the peer went away: carry on until closed
			}
		}
	}

	private static String readHead(InputStream in) throws IOException {
		ByteArrayOutputStream head = new ByteArrayOutputStream();
		int matched = 0;
		byte[] end = { '\r', '\n', '\r', '\n' };
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
