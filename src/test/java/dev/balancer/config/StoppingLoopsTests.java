package dev.balancer.config;

import org.junit.jupiter.api.Test;

import dev.balancer.routing.Stopping;

import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.reactor.netty.autoconfigure.ReactorNettyProperties;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.boot.validation.autoconfigure.ValidationAutoConfiguration;
import org.springframework.http.client.ReactorResourceFactory;

import static org.assertj.core.api.Assertions.assertThat;

/** The balancer's event loops mark the stop as begun before they close ({@link Stopping}). */
class StoppingLoopsTests {

	@Test
	void stoppingTheEventLoopsMarksTheStopAsBegun() {
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
			});
	}

}
