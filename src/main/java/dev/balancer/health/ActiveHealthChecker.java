package dev.balancer.health;

import java.time.Duration;

import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
/**
 * Probes every backend concurrently and records the results in the {@link BackendHealthRegistry}; run once
 * per {@link #interval()} by {@code HealthCheckSchedule}.
 */
public class ActiveHealthChecker {

	private final BackendHealthRegistry registry;

	private final BackendProbe probe;

	private final Duration interval;

	public ActiveHealthChecker(BackendHealthRegistry registry, BackendProbe probe, Duration interval) {
		this.registry = registry;
		this.probe = probe;
		this.interval = interval;
	}

	public Duration interval() {
		return this.interval;
	}

	/** Probes every backend once, all at the same time; completes when every probe has finished. */
	public Mono<Void> checkAll() {
		return Flux.fromIterable(this.registry.backends())
			.flatMap((backend) -> this.probe.probe(backend)
				.doOnNext((result) -> this.registry.recordProbe(backend, result)))
			.then();
	}

}
