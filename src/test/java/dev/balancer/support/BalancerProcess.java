package dev.balancer.support;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The packaged balancer jar running in a JVM of its own, started the way the README tells users to. Its
 * console output goes to a file that tests read; {@link #close()} kills it if it still runs.
 */
public final class BalancerProcess implements AutoCloseable {

	private static final Pattern STARTED = Pattern.compile("Load balancer started at :(\\d+)");

	private final Process process;

	private final Path workDir;

	private final Path output;

	private BalancerProcess(Process process, Path workDir, Path output) {
		this.process = process;
		this.workDir = workDir;
		this.output = output;
	}

	/** A fresh working directory, so that only the configuration a test puts there applies. */
	public static Path workDir() {
		try {
			return Files.createTempDirectory("balancer-it");
		}
		catch (IOException ex) {
			throw new UncheckedIOException(ex);
		}
	}

	/** Runs {@code java <jvmOptions> -jar target/balancer-*.jar <arguments>} in a fresh working directory. */
	public static BalancerProcess start(List<String> jvmOptions, List<String> arguments) {
		return start(workDir(), jvmOptions, arguments);
	}

	/**
	 * Runs the jar in front of one backend that answers probes on {@link TestBackend#HEALTH_PATH}, both of its ports
	 * chosen by the system, with any further arguments.
	 */
	public static BalancerProcess startInFrontOf(String backendUrl, List<String> jvmOptions, String... arguments) {
		List<String> all = new ArrayList<>(List.of("--server.port=0", "--management.server.port=0",
				"--balancer.backends[0].url=" + backendUrl, "--balancer.health-check.path=" + TestBackend.HEALTH_PATH));
		all.addAll(List.of(arguments));
		return start(jvmOptions, all);
	}

	/** Runs {@code java <jvmOptions> -jar target/balancer-*.jar <arguments>} in the given working directory. */
	public static BalancerProcess start(Path workDir, List<String> jvmOptions, List<String> arguments) {
		try {
			Path output = Files.createTempFile("balancer-it", ".log");
			List<String> command = new ArrayList<>();
			command.add(Paths.get(System.getProperty("java.home"), "bin", "java").toString());
			command.addAll(jvmOptions);
			command.add("-jar");
			command.add(jar().toString());
			command.addAll(arguments);
			Process process = new ProcessBuilder(command).directory(workDir.toFile())
				.redirectErrorStream(true)
				.redirectOutput(output.toFile())
				.start();
			return new BalancerProcess(process, workDir, output);
		}
		catch (IOException ex) {
			throw new UncheckedIOException(ex);
		}
	}

	/** The runnable jar that {@code package} built. */
	public static Path jar() {
		String configured = System.getProperty("balancer.jar");
		if (configured != null) {
			return Paths.get(configured).toAbsolutePath();
		}
		try (var files = Files.list(Paths.get("target"))) {
			return files.filter((file) -> file.getFileName().toString().matches("balancer-.*\\.jar"))
				.findFirst()
				.orElseThrow(() -> new IllegalStateException("No target/balancer-*.jar: run ./mvnw package first"))
				.toAbsolutePath();
		}
		catch (IOException ex) {
			throw new UncheckedIOException(ex);
		}
	}

	/** Waits for the start-up line and returns the data port it names. */
	public int awaitStarted(Duration timeout) {
		Instant deadline = Instant.now().plus(timeout);
		while (Instant.now().isBefore(deadline)) {
			Matcher matcher = STARTED.matcher(output());
			if (matcher.find()) {
				return Integer.parseInt(matcher.group(1));
			}
			if (!this.process.isAlive()) {
				throw new IllegalStateException("The balancer exited with " + this.process.exitValue() + ":\n"
						+ output());
			}
			pause();
		}
		throw new IllegalStateException("The balancer did not start within " + timeout + ":\n" + output());
	}

	/** Waits for the process to end by itself and returns its exit code. */
	public int awaitExit(Duration timeout) {
		try {
			if (!this.process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
				throw new IllegalStateException("The balancer still runs after " + timeout + ":\n" + output());
			}
			return this.process.exitValue();
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
			throw new IllegalStateException(ex);
		}
	}

	/** Sends SIGTERM, as Kubernetes and container runtimes do to stop a process. */
	public void terminate() {
		this.process.destroy();
	}

	/** Everything the process printed so far. */
	public String output() {
		try {
			return Files.readString(this.output);
		}
		catch (IOException ex) {
			throw new UncheckedIOException(ex);
		}
	}

	/** Stops the process if it still runs and deletes its files. */
	@Override
	public void close() {
		this.process.destroyForcibly();
		try {
			this.process.waitFor(10, TimeUnit.SECONDS);
			try (var files = Files.walk(this.workDir)) {
				files.sorted(Comparator.reverseOrder()).forEach((file) -> file.toFile().delete());
			}
			Files.deleteIfExists(this.output);
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
		}
		catch (IOException ex) {
			throw new UncheckedIOException(ex);
		}
	}

	private static void pause() {
		try {
			Thread.sleep(50);
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
		}
	}

}
