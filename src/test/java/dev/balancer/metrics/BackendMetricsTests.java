package dev.balancer.metrics;

import java.net.ConnectException;
import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.concurrent.TimeUnit;

import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.distribution.CountAtBucket;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;

import dev.balancer.health.BackendHealthRegistry;
import dev.balancer.routing.InFlightRequests;
import dev.balancer.support.Instances;

import org.springframework.cloud.client.ServiceInstance;
import org.springframework.cloud.client.loadbalancer.CompletionContext;
import org.springframework.cloud.client.loadbalancer.DefaultResponse;
import org.springframework.cloud.client.loadbalancer.Request;
import org.springframework.cloud.client.loadbalancer.RequestData;
import org.springframework.cloud.client.loadbalancer.RequestDataContext;
import org.springframework.cloud.client.loadbalancer.ResponseData;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpMethod;
import org.springframework.http.HttpStatus;
import org.springframework.util.LinkedMultiValueMap;

import static org.assertj.core.api.Assertions.assertThat;

/** The meters per backend, fed as the gateway's load-balancer filter feeds its lifecycle beans. */
class BackendMetricsTests {

	final ServiceInstance one = Instances.backend(8081);

	final ServiceInstance two = Instances.backend(8082);

	final SimpleMeterRegistry meters = new SimpleMeterRegistry();

	final BackendMetrics metrics = new BackendMetrics(
			new BackendHealthRegistry(List.of(this.one, this.two), Clock.systemUTC()),
			new InFlightRequests(List.of(this.one, this.two)), this.meters);

	@Test
	void anAnsweredAttemptIsTimedFromTheChoiceOfItsBackendToItsResponseHead() {
		Request<RequestDataContext> request = Instances.request();
		this.metrics.onStartRequest(request, new DefaultResponse(this.one));
		// as if the backend had taken 250 ms to answer, without a test that waits for it
		long started = request.getContext().getRequestStartTime();
		assertThat(started).isNotZero();
		request.getContext().setRequestStartTime(started - TimeUnit.MILLISECONDS.toNanos(250));

		this.metrics.onComplete(answered(request, this.one, 503));

		Timer one = responseTime(this.one);
		assertThat(one.count()).isEqualTo(1);
		assertThat(one.totalTime(TimeUnit.MILLISECONDS)).isBetween(250.0, 250.0 + 60_000);
		assertThat(responseTime(this.two).count()).isZero();
		assertThat(this.meters.get("balancer.backend.requests").tag("backend", this.one.getInstanceId())
			.tag("status", "503").counter().count()).isEqualTo(1);
	}

	@Test
	void anAttemptWithoutAResponseIsCountedButNotTimed() {
		Request<RequestDataContext> request = Instances.request();
		this.metrics.onStartRequest(request, new DefaultResponse(this.one));

		this.metrics.onComplete(new CompletionContext<>(CompletionContext.Status.FAILED,
				new ConnectException("Connection refused"), request, new DefaultResponse(this.one)));

		assertThat(responseTime(this.one).count()).isZero();
		assertThat(this.meters.get("balancer.backend.requests").tag("status", "connect_error").counter().count())
			.isEqualTo(1);
	}

	/** The attempts a call-off reports are told of with a request of their own, which was never started. */
	@Test
	void anAttemptWhoseStartWasNotSeenIsNotTimed() {
		this.metrics.onComplete(answered(Instances.request(), this.one, 200));

		assertThat(responseTime(this.one).count()).isZero();
	}

	@Test
	void theHistogramHasTheBucketsPrometheusUsersKnow() {
		CountAtBucket[] buckets = responseTime(this.one).takeSnapshot().histogramCounts();

		assertThat(buckets).extracting((bucket) -> Duration.ofNanos((long) bucket.bucket()).toMillis())
			.containsExactly(5L, 10L, 25L, 50L, 100L, 250L, 500L, 1_000L, 2_500L, 5_000L, 10_000L, 30_000L);
	}

	private Timer responseTime(ServiceInstance backend) {
		return this.meters.get("balancer.backend.response.time").tag("backend", backend.getInstanceId()).timer();
	}

	private static CompletionContext<ResponseData, ServiceInstance, RequestDataContext> answered(
			Request<RequestDataContext> request, ServiceInstance backend, int status) {
		ResponseData response = new ResponseData(HttpStatus.valueOf(status), new HttpHeaders(),
				new LinkedMultiValueMap<>(), new RequestData(HttpMethod.GET, URI.create("http://balancer/"),
						new HttpHeaders(), new LinkedMultiValueMap<>(), new HashMap<>()));
		return new CompletionContext<>(CompletionContext.Status.SUCCESS, request, new DefaultResponse(backend),
				response);
	}

}
