package dev.balancer.deploy;

import org.junit.jupiter.api.Test;

import dev.balancer.config.BalancerProperties;

import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.boot.validation.autoconfigure.ValidationAutoConfiguration;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.io.FileSystemResource;

import static org.assertj.core.api.Assertions.assertThat;

/** The settings the Kubernetes ConfigMap carries (balancer.yml) are a valid balancer configuration. */
class KubernetesConfigurationTests {

	@Test
	void theConfigMapsSettingsBindAndValidate() {
		new ApplicationContextRunner().withConfiguration(AutoConfigurations.of(ValidationAutoConfiguration.class))
			.withUserConfiguration(Properties.class)
			.withInitializer((context) -> context.getEnvironment()
				.getPropertySources()
				.addFirst(Deployables.yaml(new FileSystemResource(Deployables.KUBERNETES.resolve("balancer.yml")))))
			.run((context) -> {
				assertThat(context).hasNotFailed();
				assertThat(context.getBean(BalancerProperties.class).backends()).hasSize(3);
			});
	}

	@Configuration(proxyBeanMethods = false)
	@EnableConfigurationProperties(BalancerProperties.class)
	static class Properties {

	}

}
