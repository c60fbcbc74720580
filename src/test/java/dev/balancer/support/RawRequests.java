package dev.balancer.support;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.Socket;
import java.nio.charset.StandardCharsets;

/**
 * Requests written byte by byte on a socket, for what HTTP clients would not send as it is: their own
 * {@code Connection} header, raw bytes above 127 or characters a URI may not hold in the target.
 */
public final class RawRequests {

	private RawRequests() {
	}

	/**
	 * Sends a request as the bytes of its characters (ISO-8859-1: {@code \u00c3} is the byte C3) to
	 * 127.0.0.1 and returns the response's status line.
	 */
	public static String statusLine(int port, String request) throws IOException {
		try (Socket socket = new Socket("127.0.0.1", port)) {
			socket.setSoTimeout(5000);
			socket.getOutputStream().write(request.getBytes(StandardCharsets.ISO_8859_1));
			BufferedReader response = new BufferedReader(
					new InputStreamReader(socket.getInputStream(), StandardCharsets.US_ASCII));
			return response.readLine();
		}
	}

}
