package dev.balancer.health;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import io.netty.channel.EventLoopGroup;
import io.netty.util.concurrent.EventExecutor;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

import dev.balancer.support.BalancerTestProperties;
import dev.balancer.support.TestBackend;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.context.SpringBootTest.WebEnvironment;
import org.springframework.cloud.client.ServiceInstance;
import org.springframework.http.client.ReactorResourceFactory;
import org.springframework.test.annotation.DirtiesContext;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Health probes run on an event loop of their own: with every loop that serves clients busy, a healthy backend
 * is still probed, found healthy and kept in rotation. On the serving loops each probe waited for them, timed
 * out after 1 s and took the backend down.
 */
@SpringBootTest(webEnvironment = WebEnvironment.RANDOM_PORT, properties = { "balancer.health-check.interval=100ms",
		"balancer.health-check.timeout=1s", "balancer.health-check.jitter=0ms" })
@DirtiesContext // stops its health checker and frees its ports; no other test class shares this context
class ProbeLoopIntegrationTests {

	static final TestBackend backend = TestBackend.start("one");

	@DynamicPropertySource
	static void balancer(DynamicPropertyRegistry registry) {
		BalancerTestProperties.register(registry, List.of(backend));
	}

	@AfterAll
	static void stop() {
		backend.stop();
	}

	@Autowired
	BackendHealthRegistry registry;

	@Autowired
	ReactorResourceFactory netty;

	@Test
	void aHealthyBackendStaysUpWhileEveryServingLoopIsBusy() throws InterruptedException {
		ServiceInstance instance = this.registry.backends().get(0);
		await().atMost(Duration.ofSeconds(5)).until(() -> this.registry.health(instance).lastCheck() != null);
		assertThat(this.registry.isUp(instance)).isTrue();

		EventLoopGroup serving = this.netty.getLoopResources().onServer(true);
		int loops = 0;
		for (EventExecutor ignored : serving) {
			loops++;
		}
		CountDownLatch busy = new CountDownLatch(loops);
		CountDownLatch release = new CountDownLatch(1);
		for (EventExecutor loop : serving) {
			loop.execute(() -> {
				busy.countDown();
				awaitQuietly(release);
			});
		}
		try {
			assertThat(busy.await(5, TimeUnit.SECONDS)).as("every serving loop busy").isTrue();
			// probes begun after this have had their whole timeout, and more, to come back
			Instant probedBy = Instant.now().plusMillis(1500);
			await().atMost(Duration.ofSeconds(5))
				.until(() -> this.registry.health(instance).lastCheck().isAfter(probedBy));
			BackendHealth health = this.registry.health(instance);
			assertThat(health.up()).as("up while the serving loops were busy; last error: %s", health.lastError())
				.isTrue();
		}
		finally {
			release.countDown();
		}
	}

	private static void awaitQuietly(CountDownLatch latch) {
		try {
			latch.await(10, TimeUnit.SECONDS);
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
		}
	}

}
