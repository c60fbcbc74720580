package dev.balancer.config;

import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;

import dev.balancer.health.BackendHealthRegistry;
import dev.balancer.health.HealthyInstanceListSupplier;
import dev.balancer.health.NotEjectedInstanceListSupplier;
import dev.balancer.health.OutlierDetector;
import dev.balancer.health.PanicInstanceListSupplier;
import dev.balancer.health.PanicMode;
import dev.balancer.health.SlowStartInstanceListSupplier;
import dev.balancer.routing.AddressRange;
import dev.balancer.routing.BackendLoadBalancer;
import dev.balancer.routing.Backends;
import dev.balancer.routing.ConsistentHashStrategy;
import dev.balancer.routing.HashKey;
import dev.balancer.routing.InFlightRequests;
import dev.balancer.routing.LeastConnectionsStrategy;
import dev.balancer.routing.LoadBalancingStrategy;
import dev.balancer.routing.PowerOfTwoChoicesStrategy;
import dev.balancer.routing.RandomStrategy;
import dev.balancer.routing.RoundRobinStrategy;
import dev.balancer.routing.StickySessions;
import dev.balancer.routing.WeightedRoundRobinStrategy;

import org.springframework.beans.factory.ObjectProvider;
import org.springframework.cloud.client.ServiceInstance;
import org.springframework.cloud.loadbalancer.core.ReactorServiceInstanceLoadBalancer;
import org.springframework.cloud.loadbalancer.core.ServiceInstanceListSupplier;
import org.springframework.cloud.loadbalancer.support.ServiceInstanceListSuppliers;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Bean;

/**
 * The beans of the {@code backends} load-balancer client, created by Spring Cloud LoadBalancer in its child
 * context for that service. Deliberately not a {@code @Configuration}: component scanning must not pull these
 * beans into the main context.
 */
public class BackendLoadBalancerConfiguration {

	/**
	 * The configured backends, filtered down to the healthy ones that are not ejected, unless that leaves the
	 * balancer in panic, and with slow start to the ramped-up ones.
	 */
	@Bean
	ServiceInstanceListSupplier backendInstanceListSupplier(ConfigurableApplicationContext context,
			BackendHealthRegistry registry, ObjectProvider<OutlierDetector> outlierDetector, PanicMode panic,
			BalancerProperties properties) {
		ServiceInstance[] backends = registry.backends().toArray(ServiceInstance[]::new);
		OutlierDetector outliers = outlierDetector.getIfAvailable();
		Duration window = properties.slowStart().window();
		return ServiceInstanceListSupplier.builder()
			.withBase(ServiceInstanceListSuppliers.from(Backends.SERVICE_ID, backends))
			.with((ignored, delegate) -> new HealthyInstanceListSupplier(delegate, registry))
			.with((outliers == null) ? null
					: (ignored, delegate) -> new NotEjectedInstanceListSupplier(delegate, outliers))
			.with((ignored, delegate) -> new PanicInstanceListSupplier(delegate, panic))
			.with((window == null) ? null : (ignored, delegate) -> new SlowStartInstanceListSupplier(delegate,
					registry, window, Clock.systemUTC(), ThreadLocalRandom::current))
			.build(context);
	}

	@Bean
	LoadBalancingStrategy backendStrategy(BalancerProperties properties, BackendHealthRegistry registry,
			InFlightRequests inFlight) {
		List<ServiceInstance> backends = registry.backends();
		return switch (properties.strategy()) {
			case ROUND_ROBIN -> new RoundRobinStrategy();
			case WEIGHTED_ROUND_ROBIN -> new WeightedRoundRobinStrategy(backends);
			case LEAST_CONNECTIONS -> new LeastConnectionsStrategy(inFlight);
			case POWER_OF_TWO_CHOICES -> new PowerOfTwoChoicesStrategy(inFlight, ThreadLocalRandom::current);
			case RANDOM -> new RandomStrategy(ThreadLocalRandom::current);
			case CONSISTENT_HASH -> {
				List<AddressRange> trusted = AddressRange.parseAll(properties.trustedProxies());
				HashKey key = HashKey.parse(properties.consistentHash().key(), trusted);
				yield new ConsistentHashStrategy(backends, key, new RoundRobinStrategy());
			}
		};
	}

	@Bean
	ReactorServiceInstanceLoadBalancer backendLoadBalancer(ServiceInstanceListSupplier backendInstanceListSupplier,
			LoadBalancingStrategy backendStrategy, ObjectProvider<StickySessions> stickySessions) {
		return new BackendLoadBalancer(backendInstanceListSupplier, backendStrategy, stickySessions.getIfAvailable());
	}

}
