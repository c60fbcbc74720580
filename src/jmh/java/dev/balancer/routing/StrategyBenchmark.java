package dev.balancer.routing;

import java.time.Clock;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.infra.Blackhole;

import dev.balancer.health.BackendHealthRegistry;
import dev.balancer.health.HealthyInstanceListSupplier;

import org.springframework.cloud.client.DefaultServiceInstance;
import org.springframework.cloud.client.ServiceInstance;
import org.springframework.cloud.client.loadbalancer.DefaultRequest;
import org.springframework.cloud.client.loadbalancer.Request;
import org.springframework.cloud.client.loadbalancer.RequestData;
import org.springframework.cloud.client.loadbalancer.RequestDataContext;
import org.springframework.cloud.loadbalancer.support.ServiceInstanceListSuppliers;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpMethod;
import org.springframework.util.LinkedMultiValueMap;

/**
 * One pick per strategy over 3 and 100 healthy backends. {@code pick} is the strategy alone;
 * {@code balancerChoose} is the whole {@link BackendLoadBalancer#choose} the gateway calls, health filter and
 * tried-backend bookkeeping included. Run with {@code -prof gc} to see the bytes allocated per pick.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class StrategyBenchmark {

	private static final int REQUESTS = 1024;

	@Param({ "round-robin", "weighted-round-robin", "least-connections", "power-of-two-choices", "random",
			"consistent-hash" })
	public String strategy;

	@Param({ "3", "100" })
	public int backends;

	private List<ServiceInstance> instances;

	private LoadBalancingStrategy picker;

	private BackendLoadBalancer balancer;

	private Request<?>[] requests;

	private Map<String, Object>[] attributes;

	private int next;

	@Setup
	@SuppressWarnings("unchecked")
	public void setUp() {
		this.instances = new ArrayList<>();
		for (int i = 0; i < this.backends; i++) {
			this.instances.add(new DefaultServiceInstance("http://10.0.0." + i + ":8080", Backends.SERVICE_ID,
					"10.0.0." + i, 8080, false, Map.of(Backends.WEIGHT, Integer.toString(1 + i % 3))));
		}
		InFlightRequests inFlight = new InFlightRequests(this.instances);
		this.picker = switch (this.strategy) {
			case "round-robin" -> new RoundRobinStrategy();
			case "weighted-round-robin" -> new WeightedRoundRobinStrategy(this.instances);
			case "least-connections" -> new LeastConnectionsStrategy(inFlight);
			case "power-of-two-choices" -> new PowerOfTwoChoicesStrategy(inFlight, ThreadLocalRandom::current);
			case "random" -> new RandomStrategy(ThreadLocalRandom::current);
			case "consistent-hash" -> new ConsistentHashStrategy(this.instances,
					HashKey.parse("header:X-User", List.of()), new RoundRobinStrategy());
			default -> throw new IllegalArgumentException(this.strategy);
		};
		BackendHealthRegistry health = new BackendHealthRegistry(this.instances, Clock.systemUTC());
		this.balancer = new BackendLoadBalancer(new HealthyInstanceListSupplier(
				ServiceInstanceListSuppliers.from(Backends.SERVICE_ID, this.instances.toArray(ServiceInstance[]::new)),
				health), this.picker);
		this.requests = new Request<?>[REQUESTS];
		this.attributes = new Map[REQUESTS];
		for (int i = 0; i < REQUESTS; i++) {
			HttpHeaders headers = new HttpHeaders();
			headers.add("X-User", "user-" + i);
			this.attributes[i] = new HashMap<>();
			this.requests[i] = new DefaultRequest<>(new RequestDataContext(new RequestData(HttpMethod.GET,
					java.net.URI.create("http://balancer/items/" + i), headers, new LinkedMultiValueMap<>(),
					this.attributes[i])));
		}
	}

	@Benchmark
	public ServiceInstance pick() {
		return this.picker.choose(this.instances, nextRequest());
	}

	@Benchmark
	public void balancerChoose(Blackhole blackhole) {
		int index = this.next;
		Request<?> request = nextRequest();
		// A new request each time: forget the previous pick of the same request object.
		this.attributes[index].remove(BackendLoadBalancer.TRIED_BACKENDS_ATTRIBUTE);
		blackhole.consume(this.balancer.choose(request).block());
	}

	private Request<?> nextRequest() {
		Request<?> request = this.requests[this.next];
		this.next = (this.next + 1) & (REQUESTS - 1);
		return request;
	}

}
