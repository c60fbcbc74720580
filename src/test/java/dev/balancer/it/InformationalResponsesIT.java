package dev.balancer.it;

import java.io.IOException;
import java.time.Duration;
import java.util.List;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

import dev.balancer.support.BalancerProcess;
import dev.balancer.support.RawBackend;
import dev.balancer.support.RawRequests;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A backend's 103 Early Hints in a packet of its own, and its 200 half a second later on a connection it keeps
 * open, as Go's net/http answers when a handler sends early hints. The 200 stayed unread and the client got a 504
 * after {@code balancer.timeouts.response}: Reactor Netty reads a backend connection as the response is taken from
 * it, and was handed nothing ({@code BackendResponseHeads} drops the 103). Run on the jar, as users start it: the
 * balancer's io_uring setting that asks for each read ({@code BalancerApplication#resetsNoticedOnIoUring}) is read
 * once, as Netty's transport loads, and a test in the build's JVM runs without it, where the next read came anyway.
 * On a machine without io_uring the balancer runs on epoll, which read the 200 before too.
 */
class InformationalResponsesIT {

	static final RawBackend backend = RawBackend.start(RawBackend.Behaviour.HEADS_BY_PATH);

	@AfterAll
	static void stopBackend() throws IOException {
		backend.close();
	}

	@Test
	void aFinalResponseThatComesLongAfterTheHintsIsRead() throws IOException {
		try (BalancerProcess balancer = BalancerProcess.startInFrontOf(backend.url(), List.of())) {
			int port = balancer.awaitStarted(Duration.ofSeconds(60));

			String response = RawRequests.response(port, "GET /late-hints HTTP/1.1\r\nHost: localhost\r\n\r\n");

			assertThat(response).startsWith("HTTP/1.1 200 OK\r\n").endsWith("\r\n\r\nhinted");
		}
	}

}
