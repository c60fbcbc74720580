package dev.balancer.config;

import java.io.IOException;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import org.springframework.boot.env.YamlPropertySourceLoader;
import org.springframework.core.env.MapPropertySource;
import org.springframework.core.env.StandardEnvironment;
import org.springframework.core.env.SystemEnvironmentPropertySource;
import org.springframework.core.io.ClassPathResource;
import org.springframework.core.io.FileSystemResource;
import org.springframework.core.io.Resource;

import static org.assertj.core.api.Assertions.assertThat;

/** Which settings the start-up log warns are ignored by Spring Cloud Gateway 5. */
class StartupLogTests {

	@Test
	void findsTheSettingsUnderTheGatewaysPrefixFromBeforeVersion5WhereverTheyCameFrom() {
		StandardEnvironment environment = new StandardEnvironment();
		environment.getPropertySources()
			.addFirst(new MapPropertySource("application.yml", Map.of(
					"spring.cloud.gateway.httpclient.pool.max-connections", "1000",
					"spring.cloud.gateway.routes[0].id", "x",
					"spring.cloud.gateway.server.webflux.httpclient.pool.max-idle-time", "4s",
					"spring.cloud.loadbalancer.cache.enabled", "false", "balancer.strategy", "random")));
		environment.getPropertySources()
			.addFirst(new MapPropertySource("commandLineArgs",
					Map.of("spring.cloud.gateway.httpclient.pool.max-connections", "2000")));
		environment.getPropertySources()
			.addFirst(new SystemEnvironmentPropertySource("systemEnvironment",
					Map.of("SPRING_CLOUD_GATEWAY_HTTPCLIENT_CONNECTTIMEOUT", "1000", "PATH", "/bin")));

		assertThat(StartupLog.ignoredGatewayKeys(environment)).containsExactly(
				"spring.cloud.gateway.httpclient.connecttimeout", "spring.cloud.gateway.httpclient.pool.max-connections",
				"spring.cloud.gateway.routes[0].id");
	}

	@Test
	void findsNoneInTheShippedSettings() throws IOException {
		StandardEnvironment environment = new StandardEnvironment();
		YamlPropertySourceLoader yaml = new YamlPropertySourceLoader();
		for (Resource file : List.of(new ClassPathResource("balancer-defaults.yml"),
				new FileSystemResource("config/application.yml"))) {
			yaml.load(file.getDescription(), file).forEach(environment.getPropertySources()::addLast);
		}

		assertThat(environment.getProperty("spring.cloud.gateway.server.webflux.httpclient.pool.max-idle-time"))
			.as("loaded").isNotNull();
		assertThat(StartupLog.ignoredGatewayKeys(environment)).isEmpty();
	}

}
