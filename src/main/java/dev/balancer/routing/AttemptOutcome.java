package dev.balancer.routing;

import org.jspecify.annotations.Nullable;

import org.springframework.cloud.client.ServiceInstance;
import org.springframework.cloud.client.loadbalancer.CompletionContext;
import org.springframework.cloud.client.loadbalancer.LoadBalancerLifecycle;
import org.springframework.cloud.client.loadbalancer.Request;
import org.springframework.cloud.client.loadbalancer.RequestDataContext;
import org.springframework.cloud.client.loadbalancer.Response;
import org.springframework.cloud.client.loadbalancer.ResponseData;
import org.springframework.http.HttpStatusCode;

/**
 * How one attempt at one backend ended, read from the gateway's load-balancer lifecycle: the status the
 * backend answered, or why it did not answer.
 *
 * @param backend the backend the attempt went to
 * @param status the status it answered, {@code null} when it did not answer
 * @param failure why it did not answer, {@code null} when it did
 * @param error the failure in a few words, {@code null} when it answered
 */
public record AttemptOutcome(ServiceInstance backend, @Nullable HttpStatusCode status,
		@Nullable UpstreamFailure failure, @Nullable String error) {

	/** The outcome of a completed attempt, {@code null} when no backend was chosen. */
	public static @Nullable AttemptOutcome of(
			CompletionContext<ResponseData, ServiceInstance, RequestDataContext> completion) {
		Response<ServiceInstance> chosen = completion.getLoadBalancerResponse();
		if (chosen == null || !chosen.hasServer()) {
			return null;
		}
		if (completion.status() == CompletionContext.Status.SUCCESS) {
			ResponseData response = completion.getClientResponse();
			return new AttemptOutcome(chosen.getServer(), (response != null) ? response.getHttpStatus() : null, null,
					null);
		}
		Throwable throwable = completion.getThrowable();
		if (completion.status() == CompletionContext.Status.FAILED && throwable != null) {
			return new AttemptOutcome(chosen.getServer(), null, UpstreamFailure.of(throwable),
					UpstreamFailure.describe(throwable));
		}
		return null;
	}

	/**
	 * A {@link LoadBalancerLifecycle} that only cares how attempts end; the gateway calls it for every
	 * attempt it sends to a backend.
	 */
	public interface Listener extends LoadBalancerLifecycle<RequestDataContext, ResponseData, ServiceInstance> {

		@Override
		default void onStart(Request<RequestDataContext> request) {
		}

		@Override
		default void onStartRequest(Request<RequestDataContext> request, Response<ServiceInstance> lbResponse) {
		}

		@Override
		default void onComplete(CompletionContext<ResponseData, ServiceInstance, RequestDataContext> completion) {
			AttemptOutcome outcome = of(completion);
			if (outcome != null) {
				onOutcome(outcome);
			}
		}

		void onOutcome(AttemptOutcome outcome);

	}

}
