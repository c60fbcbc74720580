package dev.balancer.routing;

import java.util.List;
import java.util.SplittableRandom;
import java.util.function.Function;
import java.util.stream.Collectors;

import org.junit.jupiter.api.Test;

import org.springframework.cloud.client.ServiceInstance;

import static dev.balancer.routing.LeastConnectionsStrategyTests.send;
import static dev.balancer.routing.WeightedRoundRobinStrategyTests.picks;
import static dev.balancer.support.Instances.backend;
import static org.assertj.core.api.Assertions.assertThat;

/** The strategies that use randomness, with a fixed seed so that their bounds hold on every run. */
class RandomStrategiesTests {

	final ServiceInstance a = backend(1);

	final ServiceInstance b = backend(2);

	final ServiceInstance c = backend(3);

	final List<ServiceInstance> all = List.of(this.a, this.b, this.c);

	final SplittableRandom seeded = new SplittableRandom(42);

	@Test
	void randomSpreadsUniformly() {
		List<ServiceInstance> picks = picks(new RandomStrategy(() -> this.seeded), this.all, 30_000);

		counts(picks).values().forEach((count) -> assertThat(count).isBetween(9_500L, 10_500L));
		assertThat(counts(picks)).hasSize(3);
	}

	@Test
	void powerOfTwoChoicesNeverPicksTheBusierOfItsTwo() {
		InFlightRequests inFlight = new InFlightRequests(this.all);
		send(inFlight, this.a, 10);

		List<ServiceInstance> picks = picks(new PowerOfTwoChoicesStrategy(inFlight, () -> this.seeded), this.all,
				3_000);

		assertThat(picks).doesNotContain(this.a);
		counts(picks).values().forEach((count) -> assertThat(count).isBetween(1_350L, 1_650L));
	}

	@Test
	void powerOfTwoChoicesSpreadsEvenlyWhenLoadsAreEqual() {
		InFlightRequests inFlight = new InFlightRequests(this.all);

		List<ServiceInstance> picks = picks(new PowerOfTwoChoicesStrategy(inFlight, () -> this.seeded), this.all,
				30_000);

		counts(picks).values().forEach((count) -> assertThat(count).isBetween(9_500L, 10_500L));
	}

	@Test
	void powerOfTwoChoicesWeighsLoadByWeight() {
		ServiceInstance big = backend(4, 4);
		ServiceInstance small = backend(5, 1);
		InFlightRequests inFlight = new InFlightRequests(List.of(big, small));
		send(inFlight, big, 3); // 3 / 4 < 1 / 1
		send(inFlight, small, 1);

		assertThat(picks(new PowerOfTwoChoicesStrategy(inFlight, () -> this.seeded), List.of(big, small), 20))
			.containsOnly(big);
	}

	@Test
	void aSingleCandidateIsAlwaysPicked() {
		InFlightRequests inFlight = new InFlightRequests(this.all);
		assertThat(picks(new PowerOfTwoChoicesStrategy(inFlight, () -> this.seeded), List.of(this.b), 5))
			.containsOnly(this.b);
		assertThat(picks(new RandomStrategy(() -> this.seeded), List.of(this.b), 5)).containsOnly(this.b);
	}

	private static java.util.Map<ServiceInstance, Long> counts(List<ServiceInstance> picks) {
		return picks.stream().collect(Collectors.groupingBy(Function.identity(), Collectors.counting()));
	}

}
