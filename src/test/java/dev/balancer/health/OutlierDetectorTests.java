package dev.balancer.health;

import java.net.ConnectException;
import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.IntStream;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import reactor.netty.channel.AbortedException;

import dev.balancer.routing.AttemptOutcome;
import dev.balancer.routing.BackendResponseHeads.InvalidResponseException;
import dev.balancer.routing.BrokenRequestException;
import dev.balancer.routing.ResponseTimeoutFilter.StalledRequestException;
import dev.balancer.routing.Stopping;
import dev.balancer.routing.UpstreamFailure;
import dev.balancer.support.Instances;
import dev.balancer.support.MutableClock;

import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.cloud.client.ServiceInstance;
import org.springframework.cloud.client.loadbalancer.CompletionContext;
import org.springframework.cloud.client.loadbalancer.DefaultResponse;
import org.springframework.cloud.client.loadbalancer.RequestData;
import org.springframework.cloud.client.loadbalancer.RequestDataContext;
import org.springframework.cloud.client.loadbalancer.ResponseData;
import org.springframework.cloud.loadbalancer.support.ServiceInstanceListSuppliers;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpMethod;
import org.springframework.http.HttpStatus;
import org.springframework.util.LinkedMultiValueMap;
import org.springframework.web.server.ResponseStatusException;

import static org.assertj.core.api.Assertions.assertThat;

@ExtendWith(OutputCaptureExtension.class)
class OutlierDetectorTests {

	final MutableClock clock = new MutableClock(Instant.parse("2026-11-24T12:00:00Z"));

	final List<ServiceInstance> backends = IntStream.rangeClosed(1, 4).mapToObj(Instances::backend).toList();

	final SimpleMeterRegistry meters = new SimpleMeterRegistry();

	final Stopping stopping = new Stopping();

	/** The backends down by their health checks. */
	final Set<ServiceInstance> down = new HashSet<>();

	final OutlierDetector detector = new OutlierDetector(this.backends, (backend) -> !this.down.contains(backend),
			new OutlierDetector.Settings(5, Duration.ofSeconds(30), Duration.ofSeconds(100), 50), this.clock,
			this.meters, this.stopping);

	final ServiceInstance one = this.backends.get(0);

	@Test
	void fiveFailuresInARowEjectABackend() {
		answer(this.one, 503, 4);
		assertThat(this.detector.isEjected(this.one)).isFalse();

		answer(this.one, 500, 1);

		assertThat(this.detector.isEjected(this.one)).isTrue();
		assertThat(this.detector.ejectedFor(this.one)).isEqualTo(Duration.ofSeconds(30));
		assertThat(this.meters.get("balancer.outlier.ejections").tag("backend", this.one.getInstanceId()).counter()
			.count()).isEqualTo(1);
		assertThat(this.meters.get("balancer.outlier.ejections").counters()).as("one at 0 for each other backend")
			.hasSize(4);
		assertThat(this.meters.get("balancer.outlier.ejections").counter().getId().getDescription())
			.isEqualTo("Ejections by outlier detection");
		assertThat(this.meters.get("balancer.outlier.ejected").gauge().value()).isEqualTo(1);
	}

	@Test
	void connectionsClosedUnderRequestsAsTheBalancerStopsAreNotTheBackendsFailures() {
		this.stopping.begin();
		for (int i = 0; i < 5; i++) {
			fail(this.one, new AbortedException("Connection has been closed BEFORE send operation"));
		}

		assertThat(this.detector.isEjected(this.one)).isFalse();
	}

	@Test
	void aGoodAnswerStartsTheCountAgain() {
		answer(this.one, 503, 4);
		answer(this.one, 404, 1);
		answer(this.one, 503, 4);

		assertThat(this.detector.isEjected(this.one)).isFalse();
	}

	/**
	 * A response that broke off after its head counts as a failure, on from where the count stood before that
	 * head, which reset it: a backend that broke off every response was never ejected.
	 */
	@Test
	void responsesThatBreakOffAfterTheirHeadCountAsFailuresInARow() {
		answer(this.one, 503, 2);
		for (int i = 0; i < 2; i++) {
			answer(this.one, 200, 1);
			brokeOff(this.one);
		}
		assertThat(this.detector.isEjected(this.one)).isFalse();

		answer(this.one, 200, 1);
		brokeOff(this.one);

		assertThat(this.detector.isEjected(this.one)).isTrue();
	}

	@Test
	void aWholeResponseBetweenBrokenOnesStartsTheCountAgain() {
		for (int i = 0; i < 4; i++) {
			answer(this.one, 200, 1);
			brokeOff(this.one);
		}
		answer(this.one, 200, 1); // its body came whole
		answer(this.one, 200, 1);
		brokeOff(this.one);

		assertThat(this.detector.isEjected(this.one)).isFalse();
	}

	@Test
	void connectFailuresResetsAndTimeoutsCountAsFailures() {
		for (int i = 0; i < 5; i++) {
			fail(this.one, new ConnectException("Connection refused"));
		}
		assertThat(this.detector.isEjected(this.one)).isTrue();

		for (int i = 0; i < 5; i++) {
			fail(this.backends.get(1), new IllegalStateException("not the backend's fault"));
		}
		assertThat(this.detector.isEjected(this.backends.get(1))).isFalse();
	}

	@Test
	void aClientThatStoppedSendingItsBodyDoesNotCountAgainstTheBackend() {
		for (int i = 0; i < 5; i++) {
			fail(this.one, new ResponseStatusException(HttpStatus.REQUEST_TIMEOUT, null,
					new StalledRequestException(Duration.ofSeconds(60))));
		}
		assertThat(this.detector.isEjected(this.one)).isFalse();
	}

	@Test
	void aClientGoneInTheMiddleOfItsBodyDoesNotCountAgainstTheBackend() {
		for (int i = 0; i < 5; i++) {
			fail(this.one, new BrokenRequestException(new AbortedException("Connection has been closed")));
		}
		assertThat(this.detector.isEjected(this.one)).isFalse();
	}

	@Test
	void invalidResponsesCountAsFailures() {
		for (int i = 0; i < 5; i++) {
			fail(this.one, new InvalidResponseException(new IllegalArgumentException("invalid version format: HI")));
		}
		assertThat(this.detector.isEjected(this.one)).isTrue();
	}

	@Test
	void anEjectionEndsByItselfAndEachRepeatLastsLonger() {
		answer(this.one, 503, 5);
		this.clock.advance(Duration.ofSeconds(30));
		assertThat(this.detector.isEjected(this.one)).isFalse();

		answer(this.one, 503, 5);
		assertThat(this.detector.ejectedFor(this.one)).as("second ejection").isEqualTo(Duration.ofSeconds(60));
		this.clock.advance(Duration.ofSeconds(60));

		answer(this.one, 503, 5);
		assertThat(this.detector.ejectedFor(this.one)).as("third, three base times")
			.isEqualTo(Duration.ofSeconds(90));
		this.clock.advance(Duration.ofSeconds(90));

		answer(this.one, 503, 5);
		assertThat(this.detector.ejectedFor(this.one)).as("fourth, capped at the maximum")
			.isEqualTo(Duration.ofSeconds(100));
	}

	@Test
	void theEjectionCountFadesWhileTheBackendBehaves() {
		answer(this.one, 503, 5);
		this.clock.advance(Duration.ofSeconds(30));
		answer(this.one, 503, 5);
		this.clock.advance(Duration.ofSeconds(60 + 60)); // back for two base times: the count fades by two

		answer(this.one, 503, 5);

		assertThat(this.detector.ejectedFor(this.one)).isEqualTo(Duration.ofSeconds(30));
	}

	@Test
	void neverEjectsMoreThanTheMaximumShare() {
		this.backends.forEach((backend) -> answer(backend, 503, 5));

		assertThat(this.backends.stream().filter(this.detector::isEjected)).as("50% of 4 backends").hasSize(2);
	}

	/**
	 * The only backend of a service, or the last one up: ejected, it left the balancer nothing to send to, and every
	 * request got the balancer's 503 for the ejection's time, while the backend, and its health checks, were fine.
	 */
	@Test
	void theLastBackendAvailableIsNeverEjected() {
		OutlierDetector alone = new OutlierDetector(List.of(this.one), (backend) -> true,
				new OutlierDetector.Settings(5, Duration.ofSeconds(30), Duration.ofSeconds(100), 50), this.clock,
				this.meters, this.stopping);
		for (int i = 0; i < 10; i++) {
			alone.onComplete(completion(this.one, 503));
		}
		assertThat(alone.isEjected(this.one)).isFalse();

		this.down.addAll(this.backends.subList(1, 4));
		answer(this.one, 503, 10);
		assertThat(this.detector.isEjected(this.one)).as("the others are down").isFalse();

		this.down.remove(this.backends.get(3));
		answer(this.one, 503, 1);
		assertThat(this.detector.isEjected(this.one)).as("one other is up again").isTrue();
		answer(this.backends.get(3), 503, 5);
		assertThat(this.detector.isEjected(this.backends.get(3))).as("the last one available").isFalse();
	}

	/** A backend ejected while others were up serves again once the health checks took all others down. */
	@Test
	void ejectedBackendsServeWhenNoOtherIsAvailable() {
		answer(this.one, 503, 5);
		assertThat(this.detector.available(this.backends)).containsExactlyElementsOf(this.backends.subList(1, 4));

		this.down.addAll(this.backends.subList(1, 4));
		List<ServiceInstance> healthy = List.of(this.one);

		assertThat(this.detector.available(healthy)).containsExactly(this.one);
		assertThat(this.detector.isEjected(this.one)).as("still counted as ejected").isTrue();
	}

	/** The end of an ejection is logged once, as the first request after it finds it, as its start is. */
	@Test
	void theEndOfAnEjectionIsLoggedOnce(CapturedOutput output) {
		answer(this.one, 503, 5);
		this.clock.advance(Duration.ofSeconds(29));
		this.detector.available(this.backends);
		assertThat(output.getOut()).doesNotContain("back in rotation");

		this.clock.advance(Duration.ofSeconds(1));
		this.detector.available(this.backends);
		this.detector.available(this.backends);

		assertThat(output.getOut().split(this.one.getInstanceId() + " back in rotation: its ejection has ended", -1))
			.hasSize(2);
	}

	@Test
	void theSupplierLeavesEjectedBackendsOutAndPassesTheListOnWhileNoneIs() {
		NotEjectedInstanceListSupplier supplier = new NotEjectedInstanceListSupplier(
				ServiceInstanceListSuppliers.from("backends", this.backends.toArray(ServiceInstance[]::new)),
				this.detector);
		assertThat(supplier.notEjected(this.backends)).isSameAs(this.backends);

		answer(this.one, 503, 5);

		assertThat(supplier.notEjected(this.backends)).containsExactlyElementsOf(this.backends.subList(1, 4));
	}

	private void answer(ServiceInstance backend, int status, int times) {
		for (int i = 0; i < times; i++) {
			this.detector.onComplete(completion(backend, status));
		}
	}

	private static CompletionContext<ResponseData, ServiceInstance, RequestDataContext> completion(
			ServiceInstance backend, int status) {
		ResponseData response = new ResponseData(HttpStatus.valueOf(status), new HttpHeaders(),
				new LinkedMultiValueMap<>(), new RequestData(HttpMethod.GET, URI.create("http://balancer/"),
						new HttpHeaders(), new LinkedMultiValueMap<>(), new HashMap<>()));
		return new CompletionContext<>(CompletionContext.Status.SUCCESS, Instances.request(),
				new DefaultResponse(backend), response);
	}

	private void brokeOff(ServiceInstance backend) {
		this.detector.responseBrokeOff(new AttemptOutcome(backend, null, UpstreamFailure.RESET, "connection reset"));
	}

	private void fail(ServiceInstance backend, Throwable failure) {
		this.detector.onComplete(new CompletionContext<>(CompletionContext.Status.FAILED, failure,
				Instances.request(), new DefaultResponse(backend)));
	}

}
