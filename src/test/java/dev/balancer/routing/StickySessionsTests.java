package dev.balancer.routing;

import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import dev.balancer.health.BackendHealthRegistry;
import dev.balancer.health.HealthyInstanceListSupplier;
import dev.balancer.support.Instances;

import org.springframework.cloud.client.ServiceInstance;
import org.springframework.cloud.client.loadbalancer.Request;
import org.springframework.cloud.loadbalancer.support.ServiceInstanceListSuppliers;
import org.springframework.http.HttpHeaders;
import org.springframework.http.ResponseCookie;
import org.springframework.util.LinkedMultiValueMap;

import static dev.balancer.support.Instances.backend;
import static org.assertj.core.api.Assertions.assertThat;

class StickySessionsTests {

	final ServiceInstance one = backend(18081);

	final ServiceInstance two = backend(18082);

	final ServiceInstance three = backend(18083);

	final List<ServiceInstance> all = List.of(this.one, this.two, this.three);

	final StickySessions sessions = new StickySessions(this.all, "BALANCER", null, "Lax");

	@Test
	void idsAreOpaqueAndTheSameOnEveryReplica() {
		StickySessions otherReplica = new StickySessions(List.of(this.three, this.two, this.one), "BALANCER", null, "Lax");

		for (ServiceInstance backend : this.all) {
			String id = this.sessions.id(backend);
			assertThat(id).matches("[0-9a-f]{16}").doesNotContain("18081").doesNotContain("127");
			assertThat(otherReplica.id(backend)).isEqualTo(id);
		}
		assertThat(this.all.stream().map(this.sessions::id).distinct()).hasSize(3);
	}

	@Test
	void theCookieCarriesTheIdWithSafeAttributes() {
		ResponseCookie cookie = this.sessions.cookie(this.two, false);

		assertThat(cookie.getName()).isEqualTo("BALANCER");
		assertThat(cookie.getValue()).isEqualTo(this.sessions.id(this.two));
		assertThat(cookie.isHttpOnly()).isTrue();
		assertThat(cookie.isSecure()).isFalse();
		assertThat(cookie.getSameSite()).isEqualTo("Lax");
		assertThat(cookie.getPath()).isEqualTo("/");
		assertThat(cookie.getMaxAge().isNegative()).as("a session cookie").isTrue();

		ResponseCookie overTls = new StickySessions(this.all, "route", Duration.ofHours(1), "Strict").cookie(this.two,
				true);
		assertThat(overTls.toString()).contains("route=").contains("Max-Age=3600").contains("Secure")
			.contains("SameSite=Strict");
	}

	/** Browsers refuse a {@code SameSite=None} cookie without {@code Secure}: sticky sessions silently did nothing. */
	@Test
	void aSameSiteNoneCookieIsAlwaysSecure() {
		StickySessions crossSite = new StickySessions(this.all, "BALANCER", null, "None");

		assertThat(crossSite.cookie(this.two, false).isSecure()).isTrue();
		assertThat(crossSite.cookie(this.two, false).getSameSite()).isEqualTo("None");
	}

	@Test
	void aCookiePinsTheRequestToItsBackendWhileItIsACandidate() {
		Request<?> pinnedToTwo = withCookie(this.sessions.id(this.two));

		assertThat(this.sessions.pinned(pinnedToTwo, this.all)).isEqualTo(this.two);
		assertThat(this.sessions.pinned(pinnedToTwo, List.of(this.one, this.three))).isNull();
		assertThat(this.sessions.pinned(withCookie("0123456789abcdef"), this.all)).isNull();
		assertThat(this.sessions.pinned(Instances.request(), this.all)).isNull();
	}

	@Test
	void roundTripThroughTheBalancerKeepsAClientOnOneBackendUntilItFails() {
		BackendHealthRegistry health = new BackendHealthRegistry(this.all, java.time.Clock.systemUTC());
		BackendLoadBalancer balancer = new BackendLoadBalancer(new HealthyInstanceListSupplier(
				ServiceInstanceListSuppliers.from("backends", this.one, this.two, this.three), health),
				new RoundRobinStrategy(), this.sessions);

		ServiceInstance first = balancer.choose(Instances.request()).block().getServer();
		String cookie = this.sessions.cookie(first, false).getValue();
		for (int i = 0; i < 6; i++) {
			assertThat(balancer.choose(withCookie(cookie)).block().getServer()).isEqualTo(first);
		}

		health.markDown(first, "connection refused");
		ServiceInstance next = balancer.choose(withCookie(cookie)).block().getServer();
		assertThat(next).isNotEqualTo(first);
		assertThat(this.sessions.id(next)).isNotEqualTo(cookie);
	}

	@Test
	void aRetryLeavesThePinnedBackendItAlreadyTried() {
		BackendHealthRegistry health = new BackendHealthRegistry(this.all, java.time.Clock.systemUTC());
		BackendLoadBalancer balancer = new BackendLoadBalancer(new HealthyInstanceListSupplier(
				ServiceInstanceListSuppliers.from("backends", this.one, this.two, this.three), health),
				new RoundRobinStrategy(), this.sessions);
		Map<String, Object> exchange = new HashMap<>();
		String cookie = this.sessions.id(this.two);

		assertThat(balancer.choose(withCookie(cookie, exchange)).block().getServer()).isEqualTo(this.two);
		assertThat(balancer.choose(withCookie(cookie, exchange)).block().getServer()).isNotEqualTo(this.two);
	}

	private Request<?> withCookie(String value) {
		return withCookie(value, new HashMap<>());
	}

	private Request<?> withCookie(String value, Map<String, Object> exchange) {
		LinkedMultiValueMap<String, String> cookies = new LinkedMultiValueMap<>();
		cookies.add("BALANCER", value);
		return Instances.request(new HttpHeaders(), cookies, "/", exchange);
	}

}
