package dev.balancer.config;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;

import org.springframework.boot.env.YamlPropertySourceLoader;
import org.springframework.core.env.SimpleCommandLinePropertySource;
import org.springframework.core.env.StandardEnvironment;
import org.springframework.core.env.SystemEnvironmentPropertySource;
import org.springframework.core.io.ByteArrayResource;
import org.springframework.core.io.ClassPathResource;
import org.springframework.core.io.FileSystemResource;
import org.springframework.core.io.Resource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.entry;
import static org.assertj.core.api.Assertions.tuple;

/** Keys a few letters off a setting of Spring Boot, Spring Cloud or the balancer, with the setting they meant. */
class MisspeltSettingsTests {

	static final String YAML = """
			server:
			  prot: 8081
			  netty:
			    idle-timout: 5s
			    idleTimeout: 5s
			managment:
			  server:
			    port: 9000
			logging:
			  level:
			    dev.balancer.routing.FailoverFilter: debug
			spring:
			  ssl:
			    bundle:
			      pem:
			        web:
			          keystore:
			            certificate: file:/etc/balancer/tls/tls.crt
			  cloud:
			    gateway:
			      httpclient:
			        pool:
			          max-connections: 1000
			      server:
			        webflux:
			          routes:
			            - id: extra
			              uri: http://10.0.0.9
			balancer:
			  helth-check:
			    interval: 5s
			orders:
			  page-size: 50
			""";

	/** Read once for all tests: the jars' metadata, 0.1 s a read. */
	static final MisspeltSettings settings = fromClassPath();

	private static MisspeltSettings fromClassPath() {
		try {
			return MisspeltSettings.fromClassPath(MisspeltSettingsTests.class.getClassLoader());
		}
		catch (IOException ex) {
			throw new UncheckedIOException(ex);
		}
	}

	@Test
	void findsKeysAFewLettersOffASettingInTheFilesAndOnTheCommandLine() throws IOException {
		StandardEnvironment environment = new StandardEnvironment();
		new YamlPropertySourceLoader().load("config/application.yml", new ByteArrayResource(
				YAML.getBytes(StandardCharsets.UTF_8), "config/application.yml"))
			.forEach(environment.getPropertySources()::addLast);
		environment.getPropertySources()
			.addFirst(new SimpleCommandLinePropertySource("--server.shutdwn=graceful", "--server.port=18080"));
		environment.getPropertySources()
			.addFirst(new SystemEnvironmentPropertySource("systemEnvironment",
					Map.of("SERVER_PROT", "1", "BALANCER_SERVICE_HOST", "10.0.0.1")));

		List<MisspeltSettings.Misspelling> found = settings.find(environment);

		assertThat(found).extracting(MisspeltSettings.Misspelling::key, MisspeltSettings.Misspelling::meant)
			.containsExactly(tuple("server.shutdwn", "server.shutdown"), tuple("server.prot", "server.port"),
					tuple("server.netty.idle-timout", "server.netty.idle-timeout"),
					tuple("managment.server.port", "management.server.port"));
		assertThat(found.get(1).toString()).startsWith(
				"server.prot is not a setting, and is ignored; did you mean server.port? (")
			.endsWith("[config/application.yml] - 2:9)");
		assertThat(found.get(0).toString()).startsWith(
				"server.shutdwn is not a setting, and is ignored; did you mean server.shutdown? (")
			.contains("commandLineArgs");
	}

	@Test
	void leavesKnownKeysTheOperatorsOwnAndThoseCheckedElsewhereAlone() {
		assertThat(settings.meant("server.port")).isNull();
		assertThat(settings.meant("server.netty.idleTimeout")).isNull();
		assertThat(settings.meant("server.ssl")).as("a group").isNull();
		assertThat(settings.meant("logging.level.dev.balancer")).as("a key of a map").isNull();
		assertThat(settings.meant("spring.cloud.gateway.server.webflux.routes[0].predicates[0]"))
			.as("a key of a list").isNull();
		assertThat(settings.meant("orders.page-size")).as("far from any setting").isNull();
		assertThat(settings.meant("balancer.helth-check.interval")).as("UnknownPropertyFailureAnalyzer's")
			.isNull();
		assertThat(settings.meant("spring.cloud.gateway.httpclient.pool.max-connections")).as("StartupLog's")
			.isNull();
		assertThat(settings.meant("spring.cloud.gateway.server.webflux.httpclient.pool.max-conections"))
			.isEqualTo("spring.cloud.gateway.server.webflux.httpclient.pool.max-connections");
	}

	/** No key README names ({@code server.*}, {@code spring.*}, ...) is taken for a misspelling, but its example. */
	@Test
	void takesEverySettingTheReadmeNamesForOne() throws IOException {
		Matcher keys = Pattern.compile("(?<![\\w./-])((?:server|management|spring|logging)\\.[a-z0-9.\\[\\]-]*[a-z0-9\\]])")
			.matcher(Files.readString(Path.of("README.md")));
		Map<String, String> misspelt = new TreeMap<>();
		int named = 0;
		while (keys.find()) {
			named++;
			String meant = settings.meant(keys.group(1));
			if (meant != null) {
				misspelt.put(keys.group(1), meant);
			}
		}

		assertThat(named).isGreaterThan(30);
		assertThat(misspelt).containsExactly(entry("server.prot", "server.port"));
	}

	@Test
	void findsNoneInTheShippedSettings() throws IOException {
		StandardEnvironment environment = new StandardEnvironment();
		YamlPropertySourceLoader yaml = new YamlPropertySourceLoader();
		for (Resource file : List.of(new ClassPathResource("balancer-defaults.yml"),
				new ClassPathResource("application-demo.yml"), new FileSystemResource("config/application.yml"),
				new FileSystemResource("config/kubernetes/balancer.yml"))) {
			yaml.load(file.getDescription(), file).forEach(environment.getPropertySources()::addLast);
		}

		assertThat(environment.getPropertySources()).hasSizeGreaterThan(4);
		assertThat(settings.find(environment)).isEmpty();
	}

}
