package dev.balancer.metrics;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.stream.Stream;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import org.jspecify.annotations.Nullable;

import dev.balancer.health.BackendHealthRegistry;
import dev.balancer.routing.AttemptOutcome;
import dev.balancer.routing.InFlightRequests;
import dev.balancer.routing.UpstreamFailure;

import org.springframework.cloud.client.ServiceInstance;
import org.springframework.cloud.client.loadbalancer.CompletionContext;
import org.springframework.cloud.client.loadbalancer.Request;
import org.springframework.cloud.client.loadbalancer.RequestDataContext;
import org.springframework.cloud.client.loadbalancer.Response;
import org.springframework.cloud.client.loadbalancer.ResponseData;
import org.springframework.cloud.client.loadbalancer.TimedRequestContext;
import org.springframework.http.HttpStatusCode;

/**
 * Per-backend meters: {@code balancer.backend.up} (1 or 0), {@code balancer.backend.requests.active} (requests
 * in flight), {@code balancer.backend.requests}, one count per attempt sent to a backend, tagged with the
 * status it answered or, when it did not answer, with why not ({@link UpstreamFailure#tag()}), and
 * {@code balancer.backend.response.time}, how long each backend took to begin its answer.
 * <p>
 * The response time of an attempt runs from the moment its backend was chosen (before a connection is taken
 * from the pool or opened) to the moment the response's status line and headers were read, as HAProxy's server
 * response time and nginx's {@code $upstream_header_time}: how fast the backend answers, without the time the
 * client takes to read the body, which can be seconds for a download and hours for an event stream. It is kept
 * in Spring Cloud's {@link TimedRequestContext}, where its own lifecycle keeps it. Attempts that got no response
 * are not timed: {@code balancer.backend.requests} counts them by what went wrong.
 * <p>
 * Spring Cloud LoadBalancer's own {@code MicrometerStatsLoadBalancerLifecycle} tags every request with its URI,
 * which for a proxy means one time series per path a client invents; these meters stay bounded.
 */
public class BackendMetrics implements AttemptOutcome.Listener {

	static final String UP = "balancer.backend.up";

	static final String REQUESTS = "balancer.backend.requests";

	static final String ACTIVE = "balancer.backend.requests.active";

	static final String RESPONSE_TIME = "balancer.backend.response.time";

	static final String BROKEN = "balancer.backend.responses.broken";

	/**
	 * The histogram's buckets: Prometheus clients' default ones, and the default response timeout (30 s). Few
	 * and fixed, so that each backend adds 13 series, not Micrometer's 70-odd of a percentile histogram.
	 */
	private static final Duration[] BUCKETS = Stream.of(5, 10, 25, 50, 100, 250, 500, 1_000, 2_500, 5_000, 10_000,
			30_000).map(Duration::ofMillis).toArray(Duration[]::new);

	private final MeterRegistry meters;

	private final Map<String, BackendMeters> backends = new ConcurrentHashMap<>();

	public BackendMetrics(BackendHealthRegistry health, InFlightRequests inFlight, MeterRegistry meters) {
		this.meters = meters;
		for (ServiceInstance backend : health.backends()) {
			Gauge.builder(UP, health, (registry) -> registry.isUp(backend) ? 1 : 0)
				.description("Whether the backend passes its health checks (1) or is down (0); for ejections see "
						+ "balancer.outlier.ejected")
				.tag("backend", backend.getInstanceId())
				.register(meters);
			Gauge.builder(ACTIVE, inFlight, (requests) -> requests.count(backend))
				.description("Requests in flight to the backend")
				.tag("backend", backend.getInstanceId())
				.register(meters);
			this.backends.put(backend.getInstanceId(), new BackendMeters(backend.getInstanceId()));
		}
	}

	/**
	 * Counts a response that broke off after its head, by the backend's fault (a reset, a silence past the read
	 * timeout, a body Netty could not decode): its attempt was counted by the head's status already.
	 */
	public void responseBrokeOff(AttemptOutcome outcome) {
		BackendMeters backend = this.backends.get(outcome.backend().getInstanceId());
		if (backend != null) {
			backend.broken.increment();
		}
	}

	@Override
	public void onStartRequest(Request<RequestDataContext> request, Response<ServiceInstance> lbResponse) {
		request.getContext().setRequestStartTime(System.nanoTime());
	}

	@Override
	public void onComplete(CompletionContext<ResponseData, ServiceInstance, RequestDataContext> completion) {
		AttemptOutcome outcome = AttemptOutcome.of(completion);
		BackendMeters backend = (outcome != null) ? this.backends.get(outcome.backend().getInstanceId()) : null;
		if (backend == null) {
			return;
		}
		backend.count(outcome);
		Request<RequestDataContext> request = completion.getLoadBalancerRequest();
		long start = (request != null) ? request.getContext().getRequestStartTime() : 0;
		if (outcome.failure() == null && start != 0) {
			backend.responseTime.record(System.nanoTime() - start, TimeUnit.NANOSECONDS);
		}
	}

	@Override
	public void onOutcome(AttemptOutcome outcome) {
		BackendMeters backend = this.backends.get(outcome.backend().getInstanceId());
		if (backend != null) {
			backend.count(outcome);
		}
	}

	/**
	 * The meters of one backend: its response time, and its counters, created on first use and then found without
	 * allocating.
	 */
	private final class BackendMeters {

		private final String backend;

		private final Timer responseTime;

		private final Counter broken;

		private final AtomicReferenceArray<Counter> byStatus = new AtomicReferenceArray<>(600);

		private final Map<UpstreamFailure, Counter> byFailure = new ConcurrentHashMap<>();

		BackendMeters(String backend) {
			this.backend = backend;
			this.responseTime = Timer.builder(RESPONSE_TIME)
				.description("Time from choosing the backend to the head of its response, per attempt answered")
				.tag("backend", backend)
				.serviceLevelObjectives(BUCKETS)
				.register(BackendMetrics.this.meters);
			this.broken = Counter.builder(BROKEN)
				.description("Responses that broke off after their head, by the backend's fault")
				.tag("backend", backend)
				.register(BackendMetrics.this.meters);
		}

		void count(AttemptOutcome outcome) {
			if (outcome.failure() != null) {
				failure(outcome.failure()).increment();
			}
			else {
				status(outcome.status()).increment();
			}
		}

		Counter status(@Nullable HttpStatusCode status) {
			int code = (status != null) ? status.value() : 0;
			if (code < 100 || code >= 600) {
				return counter("unknown");
			}
			Counter counter = this.byStatus.get(code);
			if (counter == null) {
				counter = counter(Integer.toString(code));
				this.byStatus.set(code, counter);
			}
			return counter;
		}

		Counter failure(UpstreamFailure failure) {
			return this.byFailure.computeIfAbsent(failure, (kind) -> counter(kind.tag()));
		}

		private Counter counter(String status) {
			return Counter.builder(REQUESTS)
				.description("Attempts sent to the backend, by the status it answered")
				.tag("backend", this.backend)
				.tag("status", status)
				.register(BackendMetrics.this.meters);
		}

	}

}
