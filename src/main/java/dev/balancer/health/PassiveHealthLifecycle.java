package dev.balancer.health;

import dev.balancer.routing.UpstreamFailure;

import org.springframework.cloud.client.ServiceInstance;
import org.springframework.cloud.client.loadbalancer.CompletionContext;
import org.springframework.cloud.client.loadbalancer.LoadBalancerLifecycle;
import org.springframework.cloud.client.loadbalancer.Request;
import org.springframework.cloud.client.loadbalancer.RequestDataContext;
import org.springframework.cloud.client.loadbalancer.Response;
import org.springframework.cloud.client.loadbalancer.ResponseData;

/**
 * Takes a backend out of rotation as soon as a request fails to connect to it, without waiting for the next
 * probe (the seed does the same). Resets and error responses do not count: the backend was reachable.
 */
public class PassiveHealthLifecycle
		implements LoadBalancerLifecycle<RequestDataContext, ResponseData, ServiceInstance> {

	private final BackendHealthRegistry registry;

	public PassiveHealthLifecycle(BackendHealthRegistry registry) {
		this.registry = registry;
	}

	@Override
	public void onStart(Request<RequestDataContext> request) {
	}

	@Override
	public void onStartRequest(Request<RequestDataContext> request, Response<ServiceInstance> lbResponse) {
	}

	@Override
	public void onComplete(CompletionContext<ResponseData, ServiceInstance, RequestDataContext> completion) {
		Throwable failure = completion.getThrowable();
		Response<ServiceInstance> chosen = completion.getLoadBalancerResponse();
		if (completion.status() == CompletionContext.Status.FAILED && failure != null && chosen != null
				&& chosen.hasServer() && UpstreamFailure.of(failure) == UpstreamFailure.CONNECT) {
			this.registry.markDown(chosen.getServer(), UpstreamFailure.describe(failure));
		}
	}

}
