package dev.balancer.support;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The HTTP/1.x responses in what a connection received, one after the other, as a client reads them: bodies framed
 * by {@code Content-Length}, by chunks, or, for the last, by the end of the connection. For answers to pipelined
 * requests, read with {@link RawRequests#untilClosed}.
 */
public final class RawResponses {

	private RawResponses() {
	}

	/** The responses in {@code received} (ISO-8859-1, a character per byte); fails on bytes that are no response. */
	public static List<RawResponse> parse(String received) {
		List<RawResponse> responses = new ArrayList<>();
		int at = 0;
		while (at < received.length()) {
			int headEnd = received.indexOf("\r\n\r\n", at);
			if (headEnd < 0) {
				throw new IllegalArgumentException("No response head at byte " + at + ": " + received.substring(at));
			}
			String[] lines = received.substring(at, headEnd).split("\r\n");
			Map<String, List<String>> headers = new LinkedHashMap<>();
			for (int i = 1; i < lines.length; i++) {
				int colon = lines[i].indexOf(':');
				headers.computeIfAbsent(lines[i].substring(0, colon).trim().toLowerCase(Locale.ROOT),
						(name) -> new ArrayList<>()).add(lines[i].substring(colon + 1).trim());
			}
			at = headEnd + 4;
			RawResponse response = new RawResponse(lines[0], headers, "");
			String body;
			if (!response.hasBody()) {
				body = "";
			}
			else if ("chunked".equalsIgnoreCase(response.header("transfer-encoding"))) {
				StringBuilder chunks = new StringBuilder();
				while (true) {
					int lineEnd = received.indexOf("\r\n", at);
					int size = Integer.parseInt(received.substring(at, lineEnd).split(";")[0].trim(), 16);
					at = lineEnd + 2;
					if (size == 0) {
						at = received.indexOf("\r\n\r\n", at - 2) + 4; // past any trailers
						break;
					}
					chunks.append(received, at, at + size);
					at += size + 2;
				}
				body = chunks.toString();
			}
			else if (response.header("content-length") != null) {
				int length = Integer.parseInt(response.header("content-length"));
				body = received.substring(at, at + length);
				at += length;
			}
			else {
				body = received.substring(at);
				at = received.length();
			}
			responses.add(new RawResponse(lines[0], headers, body));
		}
		return responses;
	}

	/** A response's status line, its headers by lower-case name and its body, unchunked. */
	public record RawResponse(String statusLine, Map<String, List<String>> headers, String body) {

		/** The status code. */
		public int status() {
			return Integer.parseInt(this.statusLine.split(" ")[1]);
		}

		/** The header's first value, or {@code null}. */
		public String header(String name) {
			List<String> values = this.headers.get(name.toLowerCase(Locale.ROOT));
			return (values != null) ? values.get(0) : null;
		}

		boolean hasBody() {
			int status = status();
			return status >= 200 && status != 204 && status != 304;
		}

	}

}
