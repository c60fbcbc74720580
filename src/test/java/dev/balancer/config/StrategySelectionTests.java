package dev.balancer.config;

import java.time.Clock;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import dev.balancer.health.BackendHealthRegistry;
import dev.balancer.routing.Backends;
import dev.balancer.routing.InFlightRequests;

import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.boot.validation.autoconfigure.ValidationAutoConfiguration;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code balancer.strategy} selects the strategy class the load balancer uses. */
class StrategySelectionTests {

	@ParameterizedTest
	@CsvSource({ "round-robin, RoundRobinStrategy", "weighted-round-robin, WeightedRoundRobinStrategy",
			"least-connections, LeastConnectionsStrategy", "power-of-two-choices, PowerOfTwoChoicesStrategy",
			"random, RandomStrategy", "consistent-hash, ConsistentHashStrategy" })
	void eachNameSelectsItsStrategy(String name, String strategyClass) {
		new ApplicationContextRunner().withConfiguration(AutoConfigurations.of(ValidationAutoConfiguration.class))
			.withUserConfiguration(BalancerPropertiesTests.Properties.class)
			.withPropertyValues("balancer.backends[0].url=http://127.0.0.1:1", "balancer.strategy=" + name)
			.run((context) -> {
				BalancerProperties properties = context.getBean(BalancerProperties.class);
				BackendHealthRegistry registry = new BackendHealthRegistry(Backends.instances(properties),
						Clock.systemUTC());
				Object strategy = new BackendLoadBalancerConfiguration().backendStrategy(properties, registry,
						new InFlightRequests(registry.backends()));
				assertThat(strategy.getClass().getSimpleName()).isEqualTo(strategyClass);
			});
	}

}
