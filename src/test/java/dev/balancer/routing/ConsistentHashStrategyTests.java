package dev.balancer.routing;

import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

import org.junit.jupiter.api.Test;

import dev.balancer.support.Instances;

import org.springframework.cloud.client.ServiceInstance;
import org.springframework.cloud.client.loadbalancer.Request;
import org.springframework.http.HttpHeaders;
import org.springframework.util.LinkedMultiValueMap;

import static dev.balancer.support.Instances.backend;
import static org.assertj.core.api.Assertions.assertThat;

class ConsistentHashStrategyTests {

	final List<ServiceInstance> five = IntStream.rangeClosed(1, 5).mapToObj(Instances::backend).toList();

	final HashKey header = HashKey.parse("header:X-User", List.of());

	@Test
	void theSameKeyAlwaysGoesToTheSameBackend() {
		ConsistentHashStrategy strategy = strategy(this.five, this.header);

		for (String user : List.of("alice", "bob", "carol")) {
			ServiceInstance first = strategy.choose(this.five, withHeader(user));
			for (int i = 0; i < 20; i++) {
				assertThat(strategy.choose(this.five, withHeader(user))).isEqualTo(first);
			}
		}
	}

	@Test
	void keysSpreadOverAllBackends() {
		Map<ServiceInstance, Long> owners = owners(strategy(this.five, this.header), this.five, 10_000).values()
			.stream()
			.collect(Collectors.groupingBy(Function.identity(), Collectors.counting()));

		assertThat(owners).hasSize(5);
		owners.values().forEach((count) -> assertThat(count).isBetween(1_400L, 2_600L));
	}

	@Test
	void aBackendThatLeavesMovesOnlyItsOwnKeysAndTheyComeBackWithIt() {
		ConsistentHashStrategy strategy = strategy(this.five, this.header);
		Map<String, ServiceInstance> before = owners(strategy, this.five, 10_000);
		ServiceInstance leaving = this.five.get(2);
		List<ServiceInstance> healthy = this.five.stream().filter((backend) -> backend != leaving).toList();

		Map<String, ServiceInstance> during = owners(strategy, healthy, 10_000);

		long moved = before.keySet().stream().filter((key) -> before.get(key) != during.get(key)).count();
		long owned = before.values().stream().filter(leaving::equals).count();
		assertThat(moved).isEqualTo(owned);
		assertThat(owners(strategy, this.five, 10_000)).isEqualTo(before);
	}

	@Test
	void addingABackendMovesAboutOneNthOfTheKeysAllToIt() {
		List<ServiceInstance> six = new ArrayList<>(this.five);
		six.add(backend(6));
		Map<String, ServiceInstance> before = owners(strategy(this.five, this.header), this.five, 10_000);
		Map<String, ServiceInstance> after = owners(strategy(six, this.header), six, 10_000);

		List<String> moved = before.keySet().stream().filter((key) -> !before.get(key).equals(after.get(key))).toList();

		assertThat(moved.size() / 10_000.0).isBetween(1 / 6.0 - 0.06, 1 / 6.0 + 0.06);
		assertThat(moved).allSatisfy((key) -> assertThat(after.get(key)).isEqualTo(six.get(5)));
	}

	@Test
	void weightsGrowABackendsShareOfTheRing() {
		List<ServiceInstance> weighted = List.of(backend(1, 3), backend(2), backend(3));
		Map<ServiceInstance, Long> owners = owners(strategy(weighted, this.header), weighted, 10_000).values()
			.stream()
			.collect(Collectors.groupingBy(Function.identity(), Collectors.counting()));

		assertThat(owners.get(weighted.get(0))).isBetween(5_000L, 7_000L);
	}

	@Test
	void aRequestWithoutTheKeyIsBalancedRoundRobin() {
		ConsistentHashStrategy strategy = strategy(this.five, this.header);

		List<ServiceInstance> picks = WeightedRoundRobinStrategyTests.picks(strategy, this.five, 5);

		assertThat(picks).isEqualTo(this.five);
	}

	@Test
	void hashesTheClientAddressThePathOrACookie() {
		HashKey clientIp = HashKey.parse("client-ip", List.of());
		assertThat(clientIp.hash(fromClient("203.0.113.7", null))).isEqualTo(clientIp.hash(fromClient("203.0.113.7", null)))
			.isNotEqualTo(clientIp.hash(fromClient("203.0.113.8", null)))
			.isNotEqualTo(HashKey.NONE);

		HashKey path = HashKey.parse("path", List.of());
		assertThat(path.hash(Instances.request(new HttpHeaders(), new LinkedMultiValueMap<>(), "/cart/1", new HashMap<>())))
			.isNotEqualTo(path.hash(Instances.request(new HttpHeaders(), new LinkedMultiValueMap<>(), "/cart/2", new HashMap<>())));

		HashKey cookie = HashKey.parse("cookie:session", List.of());
		LinkedMultiValueMap<String, String> cookies = new LinkedMultiValueMap<>();
		cookies.add("session", "abc");
		assertThat(cookie.hash(Instances.request(new HttpHeaders(), cookies, "/", new HashMap<>())))
			.isEqualTo(HashKey.parse("header:X", List.of()).hash(withHeader("abc", "X")));
		assertThat(cookie.hash(Instances.request())).isEqualTo(HashKey.NONE);
	}

	@Test
	void behindATrustedProxyTheClientIsTheFirstForwardedAddress() {
		HashKey clientIp = HashKey.parse("client-ip", List.of(AddressRange.parse("10.0.0.0/8")));

		long viaProxy = clientIp.hash(fromClient("10.1.1.1", "203.0.113.7, 10.2.2.2"));
		long viaOtherProxy = clientIp.hash(fromClient("10.3.3.3", " 203.0.113.7 , 10.4.4.4"));
		long untrusted = clientIp.hash(fromClient("198.51.100.1", "203.0.113.7"));

		assertThat(viaProxy).isEqualTo(viaOtherProxy).isNotEqualTo(untrusted);
		assertThat(untrusted).isEqualTo(clientIp.hash(fromClient("198.51.100.1", null)));
	}

	private static ConsistentHashStrategy strategy(List<ServiceInstance> backends, HashKey key) {
		return new ConsistentHashStrategy(backends, key, new RoundRobinStrategy());
	}

	private static Map<String, ServiceInstance> owners(ConsistentHashStrategy strategy,
			List<ServiceInstance> candidates, int keys) {
		Map<String, ServiceInstance> owners = new HashMap<>();
		for (int i = 0; i < keys; i++) {
			owners.put("user-" + i, strategy.choose(candidates, withHeader("user-" + i)));
		}
		return owners;
	}

	private static Request<?> withHeader(String value) {
		return withHeader(value, "X-User");
	}

	private static Request<?> withHeader(String value, String name) {
		HttpHeaders headers = new HttpHeaders();
		headers.add(name, value);
		return Instances.request(headers, new LinkedMultiValueMap<>(), "/", new HashMap<>());
	}

	private static Request<?> fromClient(String address, String forwardedFor) {
		HttpHeaders headers = new HttpHeaders();
		if (forwardedFor != null) {
			headers.add("X-Forwarded-For", forwardedFor);
		}
		Map<String, Object> attributes = new HashMap<>();
		attributes.put(ClientAddressFilter.ATTRIBUTE, new InetSocketAddress(address, 40000));
		return Instances.request(headers, new LinkedMultiValueMap<>(), "/", attributes);
	}

}
