package dev.balancer.deploy;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import io.kubernetes.client.util.Yaml;

import org.springframework.boot.convert.DurationStyle;
import org.springframework.boot.env.YamlPropertySourceLoader;
import org.springframework.core.env.PropertySource;
import org.springframework.core.io.FileSystemResource;
import org.springframework.core.io.Resource;

/** Reads what the project ships for deployment: the Dockerfile, the Kubernetes manifests, the built-in settings. */
final class Deployables {

	static final Path KUBERNETES = Path.of("config/kubernetes");

	private Deployables() {
	}

	/** The objects of one manifest, parsed strictly against the Kubernetes API model. */
	static List<Object> manifest(String file) {
		try {
			return Yaml.loadAll(KUBERNETES.resolve(file).toFile());
		}
		catch (IOException ex) {
			throw new UncheckedIOException(ex);
		}
	}

	@SuppressWarnings("unchecked")
	static <T> T only(String file, Class<T> type) {
		List<Object> objects = manifest(file);
		if (objects.size() != 1 || !type.isInstance(objects.get(0))) {
			throw new AssertionError(file + " should hold one " + type.getSimpleName() + ", not " + objects);
		}
		return (T) objects.get(0);
	}

	/** The value of a Dockerfile instruction of the final stage, such as {@code WORKDIR}. */
	static String dockerfile(String instruction) {
		String text = read(Path.of("Dockerfile"));
		String finalStage = text.substring(text.lastIndexOf("\nFROM "));
		Matcher matcher = Pattern.compile("(?m)^" + instruction + "\\s+(.+)$").matcher(finalStage);
		if (!matcher.find()) {
			throw new AssertionError("No " + instruction + " in the Dockerfile's final stage");
		}
		return matcher.group(1).trim();
	}

	/** A property of the built-in src/main/resources/balancer-defaults.yml. */
	static String builtIn(String name) {
		Object value = yaml(new FileSystemResource("src/main/resources/balancer-defaults.yml")).getProperty(name);
		if (value == null) {
			throw new AssertionError("No " + name + " in the built-in balancer-defaults.yml");
		}
		return value.toString();
	}

	static Duration builtInDuration(String name) {
		return DurationStyle.detectAndParse(builtIn(name));
	}

	static PropertySource<?> yaml(Resource resource) {
		try {
			List<PropertySource<?>> sources = new YamlPropertySourceLoader().load(resource.getFilename(), resource);
			return sources.get(0);
		}
		catch (IOException ex) {
			throw new UncheckedIOException(ex);
		}
	}

	static String read(Path file) {
		try {
			return Files.readString(file);
		}
		catch (IOException ex) {
			throw new UncheckedIOException(ex);
		}
	}

}
