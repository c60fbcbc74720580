package dev.balancer.support;

import java.util.List;

import reactor.netty.DisposableServer;

import org.springframework.test.context.DynamicPropertyRegistry;

/** Points a test's balancer at its {@link TestBackend}s, with every port chosen by the system. */
public final class BalancerTestProperties {

	private BalancerTestProperties() {
	}

	/**
	 * Registers the backends in order, probes on {@link TestBackend#HEALTH_PATH}, and puts actuator on a random
	 * port of its own like in production.
	 */
	public static void register(DynamicPropertyRegistry registry, List<TestBackend> backends) {
		for (int i = 0; i < backends.size(); i++) {
			registry.add("balancer.backends[" + i + "].url", backends.get(i)::url);
		}
		registerProbesAndActuator(registry);
	}

	/**
	 * The same for one HTTPS backend, probed every 200 ms: the first probe decides whether the balancer's TLS
	 * settings reach it.
	 */
	public static void register(DynamicPropertyRegistry registry, TlsBackend backend) {
		registry.add("balancer.backends[0].url", backend::url);
		registry.add("balancer.health-check.interval", () -> "200ms");
		registerProbesAndActuator(registry);
	}

	/** The same for backends of the test's own, which answer probes on {@link TestBackend#HEALTH_PATH}. */
	public static void register(DynamicPropertyRegistry registry, DisposableServer... backends) {
		for (int i = 0; i < backends.length; i++) {
			DisposableServer backend = backends[i];
			registry.add("balancer.backends[" + i + "].url", () -> "http://127.0.0.1:" + backend.port());
		}
		registerProbesAndActuator(registry);
	}

	private static void registerProbesAndActuator(DynamicPropertyRegistry registry) {
		registry.add("balancer.health-check.path", () -> TestBackend.HEALTH_PATH);
		registry.add("management.server.port", () -> "0");
	}

}
