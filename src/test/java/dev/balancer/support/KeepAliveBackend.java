package dev.balancer.support;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A backend that keeps connections open between requests, as real servers do, and counts the connections it
 * accepts: each answers {@code 200 ok} to requests without a body until it has been idle for the keep-alive
 * timeout, then closes, as Node.js does after 5 s. To {@code GET} {@value #EXCESS_PATH} it sends 5 bytes more than
 * its {@code Content-Length} says, as a backend that counts its body in characters rather than bytes does.
 */
public final class KeepAliveBackend implements AutoCloseable {

	/** The path answered with more than its response. */
	public static final String EXCESS_PATH = "/excess";

	private final ServerSocket server;

	private final Duration keepAlive;

	private final AtomicInteger connections = new AtomicInteger();

	private KeepAliveBackend(ServerSocket server, Duration keepAlive) {
		this.server = server;
		this.keepAlive = keepAlive;
	}

	public static KeepAliveBackend start(Duration keepAlive) {
		try {
			KeepAliveBackend backend = new KeepAliveBackend(
					new ServerSocket(0, 50, InetAddress.getLoopbackAddress()), keepAlive);
			Thread acceptor = new Thread(backend::acceptAll, "keep-alive-backend");
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

	/** Connections accepted so far, health probes' included. */
	public int connections() {
		return this.connections.get();
	}

	@Override
	public void close() throws IOException {
		this.server.close();
	}

	private void acceptAll() {
		while (!this.server.isClosed()) {
			try {
				Socket socket = this.server.accept();
				this.connections.incrementAndGet();
				Thread connection = new Thread(() -> serve(socket), "keep-alive-connection");
				connection.setDaemon(true);
				connection.start();
			}
			catch (IOException ex) {
				// closed while accepting: the loop ends
			}
		}
	}

	private void serve(Socket socket) {
		try (socket) {
			socket.setSoTimeout((int) this.keepAlive.toMillis());
			InputStream in = socket.getInputStream();
			OutputStream out = socket.getOutputStream();
			for (String head = RawBackend.readHead(in); !head.isEmpty(); head = RawBackend.readHead(in)) {
				String excess = head.startsWith("GET " + EXCESS_PATH + " ") ? "EXTRA" : "";
				out.write(("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok" + excess)
					.getBytes(StandardCharsets.US_ASCII));
				out.flush();
			}
		}
		catch (SocketTimeoutException ex) {
			// idle for the keep-alive timeout: closed
		}
		catch (IOException ex) {
			// the peer went away
		}
	}

}
