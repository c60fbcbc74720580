package dev.balancer.it;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

import io.netty.buffer.ByteBuf;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import reactor.netty.DisposableServer;

import dev.balancer.support.BalancerProcess;
import dev.balancer.support.LoopbackBackend;
import dev.balancer.support.UploadingClients;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * SIGTERM while hundreds of uploads wait on a backend slower than the drain. The requests still at work when the
 * drain ends are failed by the closing backend connections and event loops. They were logged as ERRORs with stack
 * traces ("IoUringIoHandler is shutting down") and as failures of the backend, which outlier detection ejected; now
 * each is a 503 for the balancer's stop, logged at INFO ({@code Stopping}).
 */
class StopUnderLoadIT {

	static final int CLIENTS = 200;

	/** Backend requests whose body has been read, held unanswered for longer than the test. */
	final AtomicInteger held = new AtomicInteger();

	final DisposableServer backend = LoopbackBackend.start((routes) -> routes.route((request) -> true,
			(request, response) -> response.sendString(request.receive()
				.map(ByteBuf::readableBytes) // read whole; Reactor Netty releases each piece
				.reduce(0, Integer::sum)
				.doOnNext((length) -> this.held.incrementAndGet())
				.delayElement(Duration.ofMinutes(2))
				.map((length) -> "stored " + length))));

	@AfterEach
	void stopBackend() {
		this.backend.disposeNow();
	}

	@Test
	void requestsCaughtByTheStopAreNotErrorsNorTheBackendsFault() throws Exception {
		try (BalancerProcess balancer = BalancerProcess.startInFrontOf("http://127.0.0.1:" + this.backend.port(),
				List.of("-Xmx256m"), "--spring.lifecycle.timeout-per-shutdown-phase=2s")) {
			int port = balancer.awaitStarted(Duration.ofSeconds(60));
			try (UploadingClients clients = UploadingClients.start(port, CLIENTS, 200 * 1024)) {
				await().atMost(Duration.ofSeconds(20)).until(() -> this.held.get() >= CLIENTS);
				balancer.terminate();
				assertThat(balancer.awaitExit(Duration.ofSeconds(30))).isZero();
			}

			assertThat(balancer.output()).contains("Graceful shutdown complete")
				.contains("The balancer is shutting down")
				.doesNotContain(" ERROR ")
				.doesNotContain("EJECTED")
				.doesNotContain("answered 502");
		}
	}

}
