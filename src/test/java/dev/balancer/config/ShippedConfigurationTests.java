package dev.balancer.config;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import java.net.URI;
import java.time.Duration;

import org.junit.jupiter.api.Test;

import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.boot.env.YamlPropertySourceLoader;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.boot.validation.autoconfigure.ValidationAutoConfiguration;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.io.FileSystemResource;
import org.springframework.util.unit.DataSize;

import static org.assertj.core.api.Assertions.assertThat;

/** The {@code config/application.yml} shipped to operators is valid and says what the README says. */
class ShippedConfigurationTests {

	@Test
	void shippedFileListsTheSeedBackendsWithTheSeedDefaults() {
		new ApplicationContextRunner().withConfiguration(AutoConfigurations.of(ValidationAutoConfiguration.class))
			.withUserConfiguration(Properties.class)
			.withInitializer((context) -> {
				try {
					new YamlPropertySourceLoader().load("shipped", new FileSystemResource("config/application.yml"))
						.forEach(context.getEnvironment().getPropertySources()::addFirst);
				}
				catch (IOException ex) {
					throw new IllegalStateException(ex);
				}
			})
			.run((context) -> {
				assertThat(context).hasNotFailed();
				BalancerProperties properties = context.getBean(BalancerProperties.class);
				assertThat(properties.backends()).extracting(BalancerProperties.Backend::url)
					.containsExactly(URI.create("http://localhost:8081"), URI.create("http://localhost:8082"),
							URI.create("http://localhost:8083"));
				assertThat(properties.healthCheck().interval()).isEqualTo(Duration.ofSeconds(20));
				assertThat(properties.healthCheck().timeout()).isEqualTo(Duration.ofSeconds(2));
				assertThat(properties.healthCheck().path()).isEqualTo("/");
				// the same as the defaults: read from the file, to show that the file names them as they are bound
				assertThat(context.getEnvironment().getProperty("balancer.timeouts.read")).isEqualTo("60s");
				assertThat(context.getEnvironment().getProperty("balancer.timeouts.client")).isEqualTo("60s");
				assertThat(properties.timeouts().client()).isEqualTo(Duration.ofSeconds(60));
				assertThat(properties.retry().attempts()).isEqualTo(3);
				assertThat(properties.retry().bodyBufferSize()).isEqualTo(DataSize.ofKilobytes(256));
				assertThat(properties.trustedProxies()).isEmpty();
				assertThat(context.getEnvironment().getProperty("server.port")).isEqualTo("8080");
				assertThat(context.getEnvironment().getProperty("management.server.port")).isEqualTo("9901");
			});
	}

	@Test
	void noOtherSettingsFileSitsWhereSpringBootWouldReadIt() throws IOException {
		// Spring Boot reads ./config/application*.yml and ./config/*/application*.yml from the working directory:
		// run from the project root, any such file would override the operator's config/application.yml.
		try (Stream<Path> files = Files.walk(Path.of("config"), 2)) {
			assertThat(files.map((file) -> file.getFileName().toString()).filter((name) -> name.startsWith("application")))
				.containsExactly("application.yml");
		}
	}

	@Configuration(proxyBeanMethods = false)
	@EnableConfigurationProperties(BalancerProperties.class)
	static class Properties {

	}

}
