package dev.balancer.config;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import org.springframework.cloud.client.loadbalancer.LoadBalancerClientsProperties;
import org.springframework.cloud.loadbalancer.support.LoadBalancerClientFactory;

/**
 * Spring Cloud LoadBalancer's client factory, remembering which beans of a type each client's context holds.
 * <p>
 * The gateway's load-balancer filter asks for every {@code LoadBalancerLifecycle} of the service on each request,
 * and the factory answers with a bean lookup through the child context and the application context: 1.3% of the
 * profile under load. The beans of a refreshed context do not change until the factory closes it, so the answer
 * is kept until then. Beans of prototype scope would be created once, not per lookup; the balancer has none.
 */
class CachingLoadBalancerClientFactory extends LoadBalancerClientFactory {

	private final Map<InstancesKey, Map<String, ?>> instances = new ConcurrentHashMap<>();

	CachingLoadBalancerClientFactory(LoadBalancerClientsProperties properties) {
		super(properties);
	}

	@Override
	@SuppressWarnings("unchecked")
	public <T> Map<String, T> getInstances(String name, Class<T> type) {
		InstancesKey key = new InstancesKey(name, type);
		Map<String, ?> known = this.instances.get(key);
		if (known == null) {
			// Not computeIfAbsent: the first lookup may create the child context, whose beans may look up others.
			known = Collections.unmodifiableMap(new LinkedHashMap<>(super.getInstances(name, type)));
			this.instances.putIfAbsent(key, known);
		}
		return (Map<String, T>) known;
	}

	/**
	 * Names each client's context as the library's own factory does. The gateway refreshes its routes whenever a
	 * context is refreshed, except one whose name starts with {@code LoadBalancerClientFactory-}; the name would
	 * otherwise start with this class's. A refresh on a service's first use, which is a server event loop, made
	 * the gateway's weight filter block for the routes there and fail, and the first request got a 500.
	 */
	@Override
	protected String generateDisplayName(String name) {
		return LoadBalancerClientFactory.class.getSimpleName() + "-" + name;
	}

	@Override
	public void destroy() {
		this.instances.clear();
		super.destroy();
	}

	private record InstancesKey(String name, Class<?> type) {
	}

}
