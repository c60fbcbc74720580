package dev.balancer.config;

import java.util.Map;

import org.junit.jupiter.api.Test;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.env.DefaultPropertiesPropertySource;
import org.springframework.core.env.MapPropertySource;
import org.springframework.core.env.PropertySource;
import org.springframework.core.env.StandardEnvironment;

import static org.assertj.core.api.Assertions.assertThat;

class BuiltInDefaultsTests {

	final StandardEnvironment environment = new StandardEnvironment();

	final BuiltInDefaults defaults = new BuiltInDefaults();

	@Test
	void theDefaultsApplyWhereNoOtherSourceSetsAKey() {
		this.defaults.postProcessEnvironment(this.environment, new SpringApplication());

		assertThat(this.environment.getProperty("management.server.port")).isEqualTo("9901");
		assertThat(this.environment.getProperty("server.forward-headers-strategy")).isEqualTo("none");
		assertThat(this.environment.getProperty("spring.application.name")).isEqualTo("balancer");
	}

	@Test
	void aConfigurationFileWinsOverTheDefaults() {
		this.environment.getPropertySources()
			.addLast(new MapPropertySource("Config resource 'file [/etc/balancer/balancer.yml]'",
					Map.of("management.server.port", "9902")));

		this.defaults.postProcessEnvironment(this.environment, new SpringApplication());

		assertThat(this.environment.getProperty("management.server.port")).isEqualTo("9902");
		assertThat(this.environment.getPropertySources().stream().map(PropertySource::getName))
			.endsWith(BuiltInDefaults.NAME);
	}

	@Test
	void defaultsSetInCodeStayBelowTheBuiltInOnes() {
		this.environment.getPropertySources()
			.addLast(new DefaultPropertiesPropertySource(Map.of("management.server.port", "7000", "x.y", "z")));

		this.defaults.postProcessEnvironment(this.environment, new SpringApplication());

		assertThat(this.environment.getProperty("management.server.port")).isEqualTo("9901");
		assertThat(this.environment.getProperty("x.y")).isEqualTo("z");
		assertThat(this.environment.getPropertySources().stream().map(PropertySource::getName))
			.endsWith(BuiltInDefaults.NAME, DefaultPropertiesPropertySource.NAME);
	}

	@Test
	void theyAreAddedOnce() {
		this.defaults.postProcessEnvironment(this.environment, new SpringApplication());
		this.defaults.postProcessEnvironment(this.environment, new SpringApplication());

		assertThat(this.environment.getPropertySources().stream()
			.filter((source) -> source.getName().equals(BuiltInDefaults.NAME))).hasSize(1);
	}

}
