package dev.balancer.routing;

import java.net.URI;

import org.springframework.cloud.client.ServiceInstance;
import org.springframework.cloud.gateway.config.GatewayLoadBalancerProperties;
import org.springframework.cloud.gateway.filter.ReactiveLoadBalancerClientFilter;
import org.springframework.cloud.loadbalancer.support.LoadBalancerClientFactory;

/**
 * The gateway's {@link ReactiveLoadBalancerClientFilter}, with the client's path and query kept exactly as sent
 * on the way to the chosen backend ({@link ExactUrls}).
 */
public final class ExactUrlLoadBalancerClientFilter extends ReactiveLoadBalancerClientFilter {

	public ExactUrlLoadBalancerClientFilter(LoadBalancerClientFactory clientFactory,
			GatewayLoadBalancerProperties properties) {
		super(clientFactory, properties);
	}

	@Override
	protected URI reconstructURI(ServiceInstance instance, URI original) {
		String scheme = instance.getScheme();
		if (scheme == null || instance.getHost() == null) {
			return super.reconstructURI(instance, original);
		}
		int port = instance.getPort();
		if (port < 0) {
			port = (scheme.equalsIgnoreCase("https") || scheme.equalsIgnoreCase("wss")) ? 443 : 80;
		}
		return ExactUrls.moved(original, scheme, instance.getHost(), port);
	}

}
