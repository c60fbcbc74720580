package dev.balancer.routing;

import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

import dev.balancer.health.BackendHealthRegistry;

import org.springframework.cloud.client.DefaultServiceInstance;
import org.springframework.cloud.client.ServiceInstance;

/**
 * The health-filtered instance list the load balancer gets on every request, over 3 and 100 backends, with all
 * of them up (the common case, which must cost nothing) and with one down.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class HealthFilterBenchmark {

	@Param({ "3", "100" })
	public int backends;

	@Param({ "all-up", "one-down" })
	public String health;

	private List<ServiceInstance> instances;

	private BackendHealthRegistry registry;

	@Setup
	public void setUp() {
		this.instances = new ArrayList<>();
		for (int i = 0; i < this.backends; i++) {
			this.instances.add(new DefaultServiceInstance("http://10.0.0." + i + ":8080", Backends.SERVICE_ID,
					"10.0.0." + i, 8080, false));
		}
		this.registry = new BackendHealthRegistry(this.instances, Clock.systemUTC());
		if (this.health.equals("one-down")) {
			this.registry.markDown(this.instances.get(this.backends / 2), "connection refused");
		}
	}

	@Benchmark
	public List<ServiceInstance> healthyAmong() {
		return this.registry.healthyAmong(this.instances);
	}

}
