package dev.balancer.metrics;

import java.net.URI;
import java.time.Clock;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import io.micrometer.core.instrument.config.MeterFilter;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

import dev.balancer.health.BackendHealthRegistry;
import dev.balancer.routing.InFlightRequests;

import org.springframework.cloud.client.DefaultServiceInstance;
import org.springframework.cloud.client.ServiceInstance;
import org.springframework.cloud.client.loadbalancer.CompletionContext;
import org.springframework.cloud.client.loadbalancer.DefaultRequest;
import org.springframework.cloud.client.loadbalancer.DefaultResponse;
import org.springframework.cloud.client.loadbalancer.RequestData;
import org.springframework.cloud.client.loadbalancer.RequestDataContext;
import org.springframework.cloud.client.loadbalancer.ResponseData;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpMethod;
import org.springframework.http.HttpStatus;
import org.springframework.util.LinkedMultiValueMap;

/**
 * What the per-backend meters cost one answered attempt, as the gateway's load-balancer filter reports it (start,
 * then completion), on the Prometheus registry the balancer runs with: with the response-time histogram, and with
 * it turned off by a meter filter (as {@code management.metrics.enable.balancer.backend.response.time=false} does).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class BackendMetricsBenchmark {

	@Param({ "timed", "untimed" })
	public String responseTime;

	private BackendMetrics metrics;

	private DefaultResponse chosen;

	private ResponseData answer;

	@Setup
	public void setUp() {
		ServiceInstance backend = new DefaultServiceInstance("http://10.0.0.1:8080", "backends", "10.0.0.1", 8080,
				false);
		PrometheusMeterRegistry meters = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
		if (this.responseTime.equals("untimed")) {
			meters.config().meterFilter(MeterFilter.denyNameStartsWith(BackendMetrics.RESPONSE_TIME));
		}
		List<ServiceInstance> backends = List.of(backend);
		this.metrics = new BackendMetrics(new BackendHealthRegistry(backends, Clock.systemUTC()),
				new InFlightRequests(backends), meters);
		this.chosen = new DefaultResponse(backend);
		this.answer = new ResponseData(HttpStatus.OK, new HttpHeaders(), new LinkedMultiValueMap<>(),
				requestData());
	}

	@Benchmark
	public CompletionContext<ResponseData, ServiceInstance, RequestDataContext> answeredAttempt() {
		DefaultRequest<RequestDataContext> request = new DefaultRequest<>(new RequestDataContext(requestData()));
		this.metrics.onStartRequest(request, this.chosen);
		CompletionContext<ResponseData, ServiceInstance, RequestDataContext> completion = new CompletionContext<>(
				CompletionContext.Status.SUCCESS, request, this.chosen, this.answer);
		this.metrics.onComplete(completion);
		return completion;
	}

	private static RequestData requestData() {
		Map<String, Object> attributes = new HashMap<>();
		return new RequestData(HttpMethod.GET, URI.create("http://balancer/"), new HttpHeaders(),
				new LinkedMultiValueMap<>(), attributes);
	}

}
