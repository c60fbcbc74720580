package dev.balancer.it;

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

import io.netty.buffer.ByteBuf;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import reactor.netty.DisposableServer;

import dev.balancer.support.BalancerProcess;
import dev.balancer.support.LoopbackBackend;
import dev.balancer.support.RawBackend;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * SIGTERM while hundreds of clients upload to a slow backend, and the clients vanish with it (their connections
 * reset), as when a load generator or a proxy in front stops. Requests still at work when the drain ends (here
 * after a 5 s drain timeout: on io_uring the balancer notices an uploading client's reset only at its next read)
 * are failed by the closing backend connections and event loops. They were logged as ERRORs with stack traces
 * ("IoUringIoHandler is shutting down") and as failures of the backend, which outlier detection ejected; now each
 * is a 503 for the balancer's stop, logged at INFO ({@code Stopping}).
 */
class StopUnderLoadIT {

	static final int CLIENTS = 400;

	static final byte[] BODY = new byte[200 * 1024];

	final DisposableServer backend = LoopbackBackend.start((routes) -> routes.route((request) -> true,
			(request, response) -> response.sendString(request.receive()
				.map(ByteBuf::readableBytes) // read whole; Reactor Netty releases each piece
				.reduce(0, Integer::sum)
				.delayElement(Duration.ofMillis(500))
				.map((length) -> "stored " + length))));

	final List<Socket> clients = new CopyOnWriteArrayList<>();

	final AtomicInteger answered = new AtomicInteger();

	volatile boolean stopping;

	@AfterEach
	void stop() {
		this.stopping = true;
		closeClients();
		this.backend.disposeNow();
	}

	@Test
	void requestsCaughtByTheStopAreNotErrorsNorTheBackendsFault() throws Exception {
		try (BalancerProcess balancer = BalancerProcess.start(List.of("-Xmx256m"),
				List.of("--server.port=0", "--management.server.port=0",
						"--balancer.backends[0].url=http://127.0.0.1:" + this.backend.port(),
						"--balancer.health-check.path=/health", "--spring.lifecycle.timeout-per-shutdown-phase=5s"))) {
			int port = balancer.awaitStarted(Duration.ofSeconds(60));
			List<Thread> threads = new ArrayList<>();
			for (int i = 0; i < CLIENTS; i++) {
				Thread thread = new Thread(() -> uploadUntilStopped(port), "uploader-" + i);
				thread.setDaemon(true);
				thread.start();
				threads.add(thread);
			}
			await().atMost(Duration.ofSeconds(20)).until(() -> this.answered.get() >= 2 * CLIENTS);

			this.stopping = true;
			closeClients();
			balancer.terminate();

			assertThat(balancer.awaitExit(Duration.ofSeconds(30))).isZero();
			for (Thread thread : threads) {
				thread.join(5000);
			}
			assertThat(balancer.output()).contains("Graceful shutdown complete")
				.doesNotContain(" ERROR ")
				.doesNotContain("EJECTED")
				.doesNotContain("answered 502");
		}
	}

	/** PUTs a body on one kept-alive connection, then the next once answered, until the test stops. */
	private void uploadUntilStopped(int port) {
		String head = "PUT /upload HTTP/1.1\r\nHost: balancer\r\nContent-Length: " + BODY.length + "\r\n\r\n";
		try (Socket socket = new Socket("127.0.0.1", port)) {
			this.clients.add(socket);
			socket.setSoTimeout(30_000);
			OutputStream out = socket.getOutputStream();
			InputStream in = socket.getInputStream();
			while (!this.stopping) {
				out.write(head.getBytes(StandardCharsets.ISO_8859_1));
				out.write(BODY);
				out.flush();
				String answer = RawBackend.readHead(in);
				in.readNBytes(contentLength(answer));
				this.answered.incrementAndGet();
			}
		}
		catch (IOException ex) {
			// closed by the test, or by the balancer as it stops
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

	private void closeClients() {
		for (Socket socket : this.clients) {
			try {
				socket.setSoLinger(true, 0); // at once, as a load generator's exit does
				socket.close();
			}
			catch (IOException ex) {
				// already closed
			}
		}
	}

}
