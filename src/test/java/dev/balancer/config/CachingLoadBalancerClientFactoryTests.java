package dev.balancer.config;

import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import org.springframework.cloud.client.loadbalancer.CompletionContext;
import org.springframework.cloud.client.loadbalancer.LoadBalancerClientsProperties;
import org.springframework.cloud.client.loadbalancer.LoadBalancerLifecycle;
import org.springframework.cloud.client.loadbalancer.Request;
import org.springframework.cloud.client.loadbalancer.Response;
import org.springframework.cloud.loadbalancer.annotation.LoadBalancerClientSpecification;
import org.springframework.cloud.loadbalancer.support.LoadBalancerClientFactory;
import org.springframework.context.annotation.AnnotationConfigApplicationContext;
import org.springframework.context.annotation.Bean;

import static org.assertj.core.api.Assertions.assertThat;

class CachingLoadBalancerClientFactoryTests {

	final AnnotationConfigApplicationContext parent = new AnnotationConfigApplicationContext();

	final CachingLoadBalancerClientFactory factory = new CachingLoadBalancerClientFactory(
			new LoadBalancerClientsProperties());

	@AfterEach
	void close() {
		this.factory.destroy();
		this.parent.close();
	}

	@Test
	void answersTheSameBeansAsTheFactoryWithoutLookingThemUpAgain() {
		this.parent.registerBean("appLifecycle", LoadBalancerLifecycle.class, Lifecycle::new);
		refreshParent();
		this.factory.setApplicationContext(this.parent);
		this.factory.setConfigurations(
				List.of(new LoadBalancerClientSpecification("backends", new Class<?>[] { ChildBeans.class })));

		Map<String, LoadBalancerLifecycle> first = this.factory.getInstances("backends", LoadBalancerLifecycle.class);
		Map<String, LoadBalancerLifecycle> second = this.factory.getInstances("backends", LoadBalancerLifecycle.class);

		assertThat(first).containsOnlyKeys("appLifecycle", "childLifecycle");
		assertThat(second).isSameAs(first);
		assertThat(this.factory.getInstances("other", LoadBalancerLifecycle.class)).containsOnlyKeys("appLifecycle");
	}

	@Test
	void forgetsTheBeansOfContextsItCloses() {
		refreshParent();
		this.factory.setApplicationContext(this.parent);
		this.factory.setConfigurations(
				List.of(new LoadBalancerClientSpecification("backends", new Class<?>[] { ChildBeans.class })));
		Map<String, LoadBalancerLifecycle> before = this.factory.getInstances("backends", LoadBalancerLifecycle.class);

		this.factory.destroy();

		Map<String, LoadBalancerLifecycle> after = this.factory.getInstances("backends", LoadBalancerLifecycle.class);
		assertThat(after).containsOnlyKeys("childLifecycle");
		assertThat(after.get("childLifecycle")).isNotSameAs(before.get("childLifecycle"));
	}

	/** The child contexts' default configuration needs the factory as a bean, as in the application. */
	private void refreshParent() {
		this.parent.registerBean(LoadBalancerClientFactory.class, () -> this.factory);
		this.parent.refresh();
	}

	static class ChildBeans {

		@Bean
		LoadBalancerLifecycle<?, ?, ?> childLifecycle() {
			return new Lifecycle();
		}

	}

	@SuppressWarnings("rawtypes")
	static class Lifecycle implements LoadBalancerLifecycle {

		@Override
		public void onStart(Request request) {
		}

		@Override
		public void onStartRequest(Request request, Response lbResponse) {
		}

		@Override
		public void onComplete(CompletionContext completionContext) {
		}

	}

}
