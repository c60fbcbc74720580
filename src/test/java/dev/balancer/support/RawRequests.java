package dev.balancer.support;

import java.io.BufferedReader;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Requests written byte by byte on a socket, for what HTTP clients would not send as it is: their own
 * {@code Connection} header, raw bytes above 127 or characters a URI may not hold in the target.
 */
public final class RawRequests {

	private RawRequests() {
	}

	/**
	 * A valid WebSocket handshake for {@code target} (with RFC 6455's sample key), and after its own headers
	 * {@code headers}: lines each ending in CRLF, or none.
	 */
	public static String webSocketHandshake(String target, String headers) {
		return "GET " + target + " HTTP/1.1\r\nHost: localhost\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n"
				+ "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n" + headers + "\r\n";
	}

	/**
	 * Sends a request as the bytes of its characters (ISO-8859-1: {@code \u00c3} is the byte C3) to
	 * 127.0.0.1 and returns the response's status line.
	 */
	public static String statusLine(int port, String request) throws IOException {
		try (Socket socket = sent(port, request)) {
			BufferedReader response = new BufferedReader(
					new InputStreamReader(socket.getInputStream(), StandardCharsets.US_ASCII));
			return response.readLine();
		}
	}

	/**
	 * Sends a request as {@link #statusLine} does and returns the response's head and its {@code Content-Length}
	 * body, without waiting for the connection to close: a response that is slow to come or to end fails the read.
	 */
	public static String response(int port, String request) throws IOException {
		try (Socket socket = new Socket("127.0.0.1", port)) {
			return response(socket, request);
		}
	}

	/**
	 * As {@link #response(int, String)}, on a connection of the caller's, which stays open for its next request.
	 * The response is read byte by byte, so that nothing after it is taken from the connection.
	 */
	public static String response(Socket connected, String request) throws IOException {
		InputStream in = sent(connected, request).getInputStream();
		String head = RawBackend.readHead(in);
		Matcher length = Pattern.compile("(?i)\r\ncontent-length: *(\\d+)").matcher(head);
		int bodyLength = length.find() ? Integer.parseInt(length.group(1)) : 0;
		byte[] body = in.readNBytes(bodyLength);
		if (body.length < bodyLength) {
			throw new EOFException("The connection closed after " + body.length + " of " + bodyLength
					+ " body bytes");
		}
		return head + new String(body, StandardCharsets.UTF_8);
	}

	/**
	 * Sends a request as {@link #statusLine} does and returns all it gets until the balancer closes the connection;
	 * a connection still open after 5 s fails the read.
	 */
	public static String untilClosed(int port, String request) throws IOException {
		return untilClosed(new Socket("127.0.0.1", port), request);
	}

	/** As {@link #untilClosed(int, String)}, on a socket of the caller's, connected (a TLS one, say); closes it. */
	public static String untilClosed(Socket connected, String request) throws IOException {
		try (Socket socket = sent(connected, request)) {
			return new String(socket.getInputStream().readAllBytes(), StandardCharsets.ISO_8859_1);
		}
	}

	/** A connection to 127.0.0.1 with the request written on it, whose reads give up after 5 s. */
	private static Socket sent(int port, String request) throws IOException {
		return sent(new Socket("127.0.0.1", port), request);
	}

	private static Socket sent(Socket socket, String request) throws IOException {
		try {
			socket.setSoTimeout(5000);
			socket.getOutputStream().write(request.getBytes(StandardCharsets.ISO_8859_1));
			return socket;
		}
		catch (IOException ex) {
			socket.close();
			throw ex;
		}
	}

}
