package dev.balancer.config;

import java.time.Duration;

import io.netty.channel.EventLoopGroup;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import reactor.core.publisher.Mono;
import reactor.netty.resources.LoopResources;

import dev.balancer.routing.Stopping;

import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.reactor.netty.autoconfigure.ReactorNettyProperties;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.boot.validation.autoconfigure.ValidationAutoConfiguration;
import org.springframework.http.client.ReactorResourceFactory;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The balancer's event loops mark the stop as begun before they close ({@link Stopping}), and a loop that does not
 * stop does not keep the process from exiting ({@link BalancerResourceFactory}).
 */
@ExtendWith(OutputCaptureExtension.class)
class StoppingLoopsTests {

	@Test
	void stoppingTheEventLoopsMarksTheStopAsBegun(CapturedOutput output) {
		new ApplicationContextRunner().withConfiguration(AutoConfigurations.of(ValidationAutoConfiguration.class))
			.withUserConfiguration(BalancerPropertiesTests.Properties.class)
			.withPropertyValues("balancer.backends[0].url=http://127.0.0.1:1")
			.run((context) -> {
				Stopping stopping = new Stopping();
				ReactorResourceFactory factory = new BalancerConfiguration().reactorResourceFactory(
						context.getBean(BalancerProperties.class), new ReactorNettyProperties(), stopping);
				factory.start();
				assertThat(stopping.isUnderWay()).isFalse();

				factory.stop();

				assertThat(stopping.isUnderWay()).isTrue();
				assertThat(factory.isRunning()).isFalse();
				assertThat(output).doesNotContain("did not stop");
			});
	}

	@Test
	void loopsThatDoNotStopAreLeftBehindWithAWarning(CapturedOutput output) throws InterruptedException {
		Stopping stopping = new Stopping();
		BalancerResourceFactory factory = new BalancerResourceFactory(stopping, Duration.ZERO, Duration.ofMillis(100));
		factory.setLoopResourcesSupplier(StuckLoops::new);
		factory.start();

		Thread stopper = new Thread(factory::stop, "stopper");
		stopper.setDaemon(true);
		stopper.start();
		stopper.join(10_000);

		assertThat(stopper.isAlive()).as("stop() still waiting for the loops").isFalse();
		assertThat(stopping.isUnderWay()).isTrue();
		assertThat(output).contains("The event loops did not stop within 1100 ms; exiting without them");
	}

	/** Event loops that never finish stopping, as a Netty io_uring loop blocked in the kernel. */
	static final class StuckLoops implements LoopResources {

		@Override
		public EventLoopGroup onServer(boolean useNative) {
			throw new UnsupportedOperationException("not used by this test");
		}

		@Override
		public Mono<Void> disposeLater(Duration quietPeriod, Duration timeout) {
			return Mono.never();
		}

	}

}
