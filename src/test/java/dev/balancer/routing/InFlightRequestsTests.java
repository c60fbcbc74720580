package dev.balancer.routing;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicBoolean;

import org.junit.jupiter.api.Test;

import dev.balancer.support.Concurrently;
import dev.balancer.support.Instances;

import org.springframework.cloud.client.ServiceInstance;
import org.springframework.cloud.client.loadbalancer.CompletionContext;
import org.springframework.cloud.client.loadbalancer.DefaultResponse;
import org.springframework.cloud.client.loadbalancer.EmptyResponse;
import org.springframework.cloud.client.loadbalancer.Request;
import org.springframework.cloud.client.loadbalancer.RequestDataContext;

import static dev.balancer.support.Instances.backend;
import static org.assertj.core.api.Assertions.assertThat;

class InFlightRequestsTests {

	final ServiceInstance one = backend(1);

	final ServiceInstance two = backend(2);

	final InFlightRequests inFlight = new InFlightRequests(List.of(this.one, this.two));

	@Test
	void countsAnAttemptUntilItsExchangeReleasesIt() {
		Map<String, Object> exchange = new ConcurrentHashMap<>();
		start(exchange, this.one);
		assertThat(this.inFlight.count(this.one)).isEqualTo(1);

		// a successful attempt stays in flight while its body streams
		this.inFlight.onComplete(new CompletionContext<>(CompletionContext.Status.SUCCESS, Instances.request(exchange)));
		assertThat(this.inFlight.count(this.one)).isEqualTo(1);

		InFlightRequests.release(exchange);
		InFlightRequests.release(exchange);
		assertThat(this.inFlight.count(this.one)).isZero();
	}

	@Test
	void aFailedAttemptEndsAtOnce() {
		Map<String, Object> exchange = new ConcurrentHashMap<>();
		Request<RequestDataContext> request = start(exchange, this.one);

		this.inFlight.onComplete(new CompletionContext<>(CompletionContext.Status.FAILED,
				new java.net.ConnectException("refused"), request, new DefaultResponse(this.one)));

		assertThat(this.inFlight.count(this.one)).isZero();
		InFlightRequests.release(exchange);
		assertThat(this.inFlight.count(this.one)).isZero();
	}

	@Test
	void theNextAttemptEndsThePreviousOne() {
		Map<String, Object> exchange = new ConcurrentHashMap<>();
		start(exchange, this.one);
		start(exchange, this.two);

		assertThat(this.inFlight.count(this.one)).isZero();
		assertThat(this.inFlight.count(this.two)).isEqualTo(1);
	}

	@Test
	void noBackendMeansNothingCounted() {
		Map<String, Object> exchange = new HashMap<>();
		this.inFlight.onStartRequest(Instances.request(exchange), new EmptyResponse());

		assertThat(exchange).isEmpty();
		assertThat(this.inFlight.count(this.one) + this.inFlight.count(this.two)).isZero();
	}

	@Test
	void concurrentRequestsNeverDriveACounterBelowZero() throws Exception {
		AtomicBoolean negative = new AtomicBoolean();
		Concurrently.run(8, (thread) -> {
			ThreadLocalRandom random = ThreadLocalRandom.current();
			for (int i = 0; i < 5000; i++) {
				Map<String, Object> exchange = new ConcurrentHashMap<>();
				Request<RequestDataContext> request = start(exchange, random.nextBoolean() ? this.one : this.two);
				if (random.nextBoolean()) {
					this.inFlight.onComplete(new CompletionContext<>(CompletionContext.Status.FAILED,
							new IllegalStateException(), request, null));
				}
				InFlightRequests.release(exchange); // the end of the exchange comes in every case
				negative.compareAndSet(false, this.inFlight.count(this.one) < 0 || this.inFlight.count(this.two) < 0);
			}
		});
		assertThat(negative).isFalse();
		assertThat(this.inFlight.count(this.one)).isZero();
		assertThat(this.inFlight.count(this.two)).isZero();
	}

	private Request<RequestDataContext> start(Map<String, Object> exchange, ServiceInstance backend) {
		Request<RequestDataContext> request = Instances.request(exchange);
		this.inFlight.onStartRequest(request, new DefaultResponse(backend));
		return request;
	}

}
