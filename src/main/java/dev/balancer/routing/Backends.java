package dev.balancer.routing;

import java.net.URI;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import dev.balancer.config.BalancerProperties;

import org.springframework.cloud.client.DefaultServiceInstance;
import org.springframework.cloud.client.ServiceInstance;

/**
 * Turns the configured backends into Spring Cloud {@link ServiceInstance}s. An instance's id is its
 * normalized URL ({@code http://host:port}), the name that logs, metrics and health use for it.
 */
public final class Backends {

	/** The service id of the balancer's route, {@code lb://backends}. */
	public static final String SERVICE_ID = "backends";

	/** Metadata key holding the configured weight. */
	public static final String WEIGHT = "weight";

	private Backends() {
	}

	public static List<ServiceInstance> instances(BalancerProperties properties) {
		return properties.backends().stream().map(Backends::instance).toList();
	}

	static ServiceInstance instance(BalancerProperties.Backend backend) {
		URI url = backend.url();
		boolean secure = "https".equalsIgnoreCase(url.getScheme());
		return new DefaultServiceInstance(id(url), SERVICE_ID, url.getHost(), port(url), secure,
				Map.of(WEIGHT, Integer.toString(backend.weight())));
	}

	/** The configured weight of a backend, 1 when it has none. */
	public static int weight(ServiceInstance instance) {
		String weight = instance.getMetadata().get(WEIGHT);
		return (weight != null) ? Integer.parseInt(weight) : 1;
	}

	/** The normalized form of a backend URL: lower-case scheme and host, explicit port, no trailing slash. */
	public static String id(URI url) {
		String scheme = url.getScheme().toLowerCase(Locale.ROOT);
		String host = url.getHost().toLowerCase(Locale.ROOT);
		return scheme + "://" + host + ":" + port(url);
	}

	private static int port(URI url) {
		if (url.getPort() >= 0) {
			return url.getPort();
		}
		return "https".equalsIgnoreCase(url.getScheme()) ? 443 : 80;
	}

}
