package dev.balancer.support;

import java.net.URI;
import java.util.HashMap;
import java.util.Map;

import org.springframework.cloud.client.DefaultServiceInstance;
import org.springframework.cloud.client.ServiceInstance;
import org.springframework.cloud.client.loadbalancer.DefaultRequest;
import org.springframework.cloud.client.loadbalancer.Request;
import org.springframework.cloud.client.loadbalancer.RequestData;
import org.springframework.cloud.client.loadbalancer.RequestDataContext;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpMethod;
import org.springframework.util.LinkedMultiValueMap;
import org.springframework.util.MultiValueMap;

/** Backends and load-balancer requests for unit tests, shaped as the balancer and the gateway make them. */
public final class Instances {

	private Instances() {
	}

	/** A backend at {@code http://127.0.0.1:<port>}, weight 1. */
	public static ServiceInstance backend(int port) {
		return backend(port, 1);
	}

	public static ServiceInstance backend(int port, int weight) {
		return new DefaultServiceInstance("http://127.0.0.1:" + port, "backends", "127.0.0.1", port, false,
				Map.of("weight", Integer.toString(weight)));
	}

	/** A request as the gateway's load-balancer filter makes it: the exchange attributes travel along. */
	public static Request<RequestDataContext> request(Map<String, Object> exchangeAttributes) {
		return request(new HttpHeaders(), new LinkedMultiValueMap<>(), "/", exchangeAttributes);
	}

	public static Request<RequestDataContext> request(HttpHeaders headers, MultiValueMap<String, String> cookies,
			String path, Map<String, Object> exchangeAttributes) {
		return new DefaultRequest<>(new RequestDataContext(new RequestData(HttpMethod.GET,
				URI.create("http://balancer" + path), headers, cookies, exchangeAttributes)));
	}

	/** A request of its own, with fresh exchange attributes. */
	public static Request<RequestDataContext> request() {
		return request(new HashMap<>());
	}

}
