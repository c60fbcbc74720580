package dev.balancer.support;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;

/**
 * A backend that starts a 200 response, sends part of the body and resets the connection: with a
 * {@code Content-Length} it promises more than it sends, chunked it never sends the last chunk. Health probes
 * get a proper 200, so it stays in rotation.
 */
public final class TruncatingBackend implements AutoCloseable {

	private final ServerSocket server;

	private final boolean chunked;

	private TruncatingBackend(ServerSocket server, boolean chunked) {
		this.server = server;
		this.chunked = chunked;
	}

	public static TruncatingBackend start(boolean chunked) {
		try {
			TruncatingBackend backend = new TruncatingBackend(new ServerSocket(0, 50, InetAddress.getLoopbackAddress()),
					chunked);
			Thread acceptor = new Thread(backend::acceptAll, "truncating-backend");
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
				String part = "x".repeat(100);
				if (this.chunked) {
					out.write(ascii("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n64\r\n" + part + "\r\n"));
				}
				else {
					out.write(ascii("HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n" + part));
				}
				out.flush();
				pause();
				socket.setSoLinger(true, 0); // close() now sends RST: the rest never comes
			}
			catch (IOException ex) {
				// closed while accepting, or the peer went away: carry on until closed
			}
		}
	}

	private static void pause() {
		try {
			Thread.sleep(50); // let the balancer pass the first part on before the reset
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
		}
	}

	private static byte[] ascii(String text) {
		return text.getBytes(StandardCharsets.US_ASCII);
	}

	private static String readHead(InputStream in) throws IOException {
		StringBuilder head = new StringBuilder();
		while (!head.toString().endsWith("\r\n\r\n")) {
			int next = in.read();
			if (next < 0) {
				break;
			}
			head.append((char) next);
		}
		return head.toString();
	}

}
