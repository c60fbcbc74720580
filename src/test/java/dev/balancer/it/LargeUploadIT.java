package dev.balancer.it;

import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpRequest.BodyPublisher;
import java.net.http.HttpRequest.BodyPublishers;
import java.net.http.HttpResponse;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.SplittableRandom;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import dev.balancer.support.BalancerProcess;
import dev.balancer.support.TestBackend;
import dev.balancer.support.TestBackend.RecordedRequest;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Uploads stream through the balancer instead of being held in memory: 200 MB bodies pass a balancer whose
 * heap is capped at 256 MB and arrive byte for byte (the gateway's Retry filter would buffer them,
 * spring-cloud-gateway #3741).
 */
class LargeUploadIT {

	static final long SIZE = 200L * 1024 * 1024;

	static final TestBackend backend = TestBackend.start("sink");

	static BalancerProcess balancer;

	static int port;

	@BeforeAll
	static void startBalancer() {
		balancer = BalancerProcess.start(List.of("-Xmx256m"),
				List.of("--server.port=0", "--management.server.port=0", "--balancer.backends[0].url=" + backend.url(),
						"--balancer.health-check.path=/health"));
		port = balancer.awaitStarted(Duration.ofSeconds(60));
	}

	@AfterAll
	static void stop() {
		balancer.close();
		backend.stop();
	}

	@BeforeEach
	void clear() {
		backend.clear();
	}

	@Test
	void twoHundredMegabytePostWithContentLengthArrivesIntact() throws Exception {
		GeneratedBody body = new GeneratedBody(SIZE, 1);

		int status = send("POST", BodyPublishers.fromPublisher(BodyPublishers.ofInputStream(() -> body), SIZE));

		assertThat(status).isEqualTo(200);
		assertArrivedIntact(body);
	}

	@Test
	void twoHundredMegabyteChunkedPutArrivesIntact() throws Exception {
		// PUT is retryable, so the balancer copies the start of its body: the copy must stop at the limit.
		GeneratedBody body = new GeneratedBody(SIZE, 2);

		int status = send("PUT", BodyPublishers.ofInputStream(() -> body));

		assertThat(status).isEqualTo(200);
		assertArrivedIntact(body);
	}

	private static int send(String method, BodyPublisher body) throws Exception {
		HttpRequest request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/upload"))
			.method(method, body)
			.header("Content-Type", "application/octet-stream")
			.timeout(Duration.ofMinutes(2))
			.build();
		return HttpClient.newHttpClient().send(request, HttpResponse.BodyHandlers.discarding()).statusCode();
	}

	private static void assertArrivedIntact(GeneratedBody body) {
		assertThat(balancer.output()).doesNotContain("OutOfMemoryError");
		List<RecordedRequest> received = backend.requests();
		assertThat(received).hasSize(1);
		assertThat(received.get(0).bodyLength()).isEqualTo(SIZE);
		assertThat(received.get(0).bodySha256()).isEqualTo(body.sha256());
	}

	/** Pseudo-random bytes made on the fly, so the test itself never holds the body either. */
	static final class GeneratedBody extends InputStream {

		private final SplittableRandom random;

		private final MessageDigest digest;

		private long remaining;

		GeneratedBody(long size, long seed) throws Exception {
			this.random = new SplittableRandom(seed);
			this.digest = MessageDigest.getInstance("SHA-256");
			this.remaining = size;
		}

		@Override
		public int read() {
			byte[] one = new byte[1];
			return (read(one, 0, 1) < 0) ? -1 : (one[0] & 0xFF);
		}

		@Override
		public int read(byte[] buffer, int offset, int length) {
			if (this.remaining == 0) {
				return -1;
			}
			int count = (int) Math.min(length, this.remaining);
			for (int i = 0; i < count; i++) {
				buffer[offset + i] = (byte) this.random.nextInt(256);
			}
			this.digest.update(buffer, offset, count);
			this.remaining -= count;
			return count;
		}

		String sha256() {
			return HexFormat.of().formatHex(this.digest.digest());
		}

	}

}
