package dev.balancer.support;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

import static org.awaitility.Awaitility.await;

/**
 * Clients on raw sockets, each PUTting a body on one kept-alive connection, then the next once answered, until
 * {@link #reset()} resets them all at once ({@code SO_LINGER} 0), as when a load generator or a proxy in front
 * stops: most are in the middle of an upload then. Daemon threads; each ends when its connection does.
 */
public final class UploadingClients implements AutoCloseable {

	private final byte[] head;

	private final byte[] body;

	private final List<Socket> sockets = new CopyOnWriteArrayList<>();

	private final List<Thread> threads = new ArrayList<>();

	private final AtomicInteger answered = new AtomicInteger();

	private volatile boolean stopping;

	private UploadingClients(int bodyBytes) {
		this.body = new byte[bodyBytes];
		this.head = ("PUT /upload HTTP/1.1\r\nHost: balancer\r\nContent-Length: " + bodyBytes + "\r\n\r\n")
			.getBytes(StandardCharsets.ISO_8859_1);
	}

	/** {@code count} clients uploading bodies of {@code bodyBytes} to 127.0.0.1:{@code port}, started. */
	public static UploadingClients start(int port, int count, int bodyBytes) {
		UploadingClients clients = new UploadingClients(bodyBytes);
		for (int i = 0; i < count; i++) {
			Thread thread = new Thread(() -> clients.uploadUntilStopped(port), "uploader-" + i);
			thread.setDaemon(true);
			thread.start();
			clients.threads.add(thread);
		}
		return clients;
	}

	/** Waits until the clients have had {@code count} answers between them. */
	public void awaitAnswered(int count, Duration within) {
		await().atMost(within).until(() -> this.answered.get() >= count);
	}

	/** Resets every client's connection at once and waits a little for their threads to end. */
	public void reset() throws InterruptedException {
		this.stopping = true;
		for (Socket socket : this.sockets) {
			try {
				socket.setSoLinger(true, 0);
				socket.close();
			}
			catch (IOException ex) {
				// already closed
			}
		}
		for (Thread thread : this.threads) {
			thread.join(5000);
		}
	}

	@Override
	public void close() throws InterruptedException {
		reset();
	}

	private void uploadUntilStopped(int port) {
		try (Socket socket = new Socket("127.0.0.1", port)) {
			this.sockets.add(socket);
			socket.setSoTimeout(30_000);
			OutputStream out = socket.getOutputStream();
			InputStream in = socket.getInputStream();
			while (!this.stopping) {
				out.write(this.head);
				out.write(this.body);
				out.flush();
				String answer = RawBackend.readHead(in);
				in.readNBytes(contentLength(answer));
				this.answered.incrementAndGet();
			}
		}
		catch (IOException ex) {
			// reset by the test, or closed by the balancer
		}
	}

	private static int contentLength(String head) {
		for (String line : head.split("\r\n")) {
			if (line.regionMatches(true, 0, "Content-Length:", 0, 15)) {
				return Integer.parseInt(line.substring(15).trim());
			}
		}
		return 0;
	}

}
