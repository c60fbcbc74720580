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
 * Hundreds of clients upload to a slow backend, then all reset their connections at once, most in the middle of an
 * upload. Each exchange must end with its client's connection, and let its backend request go. On io_uring, with
 * Netty's multishot poll, 46 to 260 of 400 were not noticed: their exchanges held the backend's requests open until
 * {@code balancer.timeouts.client} (60 s) ended them ({@code BalancerApplication#resetsNoticedOnIoUring}). Run on
 * the jar, as users start it, since the setting is read once, when Netty's io_uring transport first loads; on a
 * machine without io_uring the balancer runs on epoll, which noticed them all before too.
 */
class ClientResetsIT {

	static final int CLIENTS = 400;

	/** Backend requests begun and not yet ended, for whatever reason. */
	final AtomicInteger atTheBackend = new AtomicInteger();

	final DisposableServer backend = LoopbackBackend.start((routes) -> routes.route((request) -> true,
			(request, response) -> {
				this.atTheBackend.incrementAndGet();
				return response.sendString(request.receive()
					.map(ByteBuf::readableBytes) // read whole; Reactor Netty releases each piece
					.reduce(0, Integer::sum)
					.delayElement(Duration.ofMillis(300))
					.map((length) -> "stored " + length))
					.then()
					.doFinally((signal) -> this.atTheBackend.decrementAndGet());
			}));

	@AfterEach
	void stopBackend() {
		this.backend.disposeNow();
	}

	@Test
	void clientsResetMidUploadLetTheirBackendRequestsGo() throws Exception {
		try (BalancerProcess balancer = BalancerProcess.startInFrontOf("http://127.0.0.1:" + this.backend.port(),
				List.of("-Xmx256m"))) {
			int port = balancer.awaitStarted(Duration.ofSeconds(60));
			try (UploadingClients clients = UploadingClients.start(port, CLIENTS, 200 * 1024)) {
				clients.awaitAnswered(2 * CLIENTS, Duration.ofSeconds(20));
				clients.reset();
			}

			// well before balancer.timeouts.client (60 s), which would end them all the same
			await().atMost(Duration.ofSeconds(15))
				.untilAsserted(() -> assertThat(this.atTheBackend).as("backend requests still held").hasValue(0));
			assertThat(balancer.output()).doesNotContain(" ERROR ");
		}
	}

}
