package dev.balancer.routing;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import io.netty.channel.embedded.EmbeddedChannel;
import org.junit.jupiter.api.Test;
import reactor.netty.ConnectionObserver;

import static org.assertj.core.api.Assertions.assertThat;

/** When {@link ConnectionLimit} pauses and resumes accepting, with connections opening and closing on many threads. */
class ConnectionLimitTests {

	final EmbeddedChannel listener = new EmbeddedChannel();

	final ConnectionLimit limit = new ConnectionLimit(2);

	ConnectionLimitTests() {
		this.limit.listenOn(this.listener);
	}

	@Test
	void acceptingPausesAtTheLimitAndResumesWhenAConnectionCloses() {
		EmbeddedChannel first = opened();
		assertThat(this.listener.config().isAutoRead()).isTrue();
		EmbeddedChannel second = opened();
		assertThat(this.listener.config().isAutoRead()).as("accepting at the limit").isFalse();

		first.close();
		assertThat(this.limit.open()).isEqualTo(1);
		assertThat(this.listener.config().isAutoRead()).isTrue();
		second.close();
		assertThat(this.limit.open()).isZero();
		assertThat(this.listener.config().isAutoRead()).isTrue();
	}

	/** Opens and closes racing on four threads must leave the listener accepting once all have closed. */
	@Test
	void racingOpensAndClosesEndAccepting() throws Exception {
		ExecutorService threads = Executors.newFixedThreadPool(4);
		try {
			for (int round = 0; round < 200; round++) {
				CountDownLatch start = new CountDownLatch(1);
				List<Future<?>> done = new ArrayList<>();
				for (int thread = 0; thread < 4; thread++) {
					done.add(threads.submit(() -> {
						start.await();
						for (int i = 0; i < 5; i++) {
							opened().close();
						}
						return null;
					}));
				}
				start.countDown();
				for (Future<?> each : done) {
					each.get(10, TimeUnit.SECONDS);
				}
				assertThat(this.limit.open()).isZero();
				assertThat(this.listener.config().isAutoRead()).as("accepting after round " + round).isTrue();
			}
		}
		finally {
			threads.shutdownNow();
		}
	}

	private EmbeddedChannel opened() {
		EmbeddedChannel connection = new EmbeddedChannel();
		this.limit.opened(ConnectionObserver.emptyListener(), connection, null);
		return connection;
	}

}
