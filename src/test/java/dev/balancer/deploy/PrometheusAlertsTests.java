package dev.balancer.deploy;

import java.io.IOException;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The alerting rules shipped in {@code config/prometheus} are valid Prometheus rules and fire when they should:
 * checked with Prometheus' own {@code promtool} where it is installed (CI installs it), against the unit tests in
 * {@code src/test/resources/prometheus}. That the metrics they read are the ones the balancer exports is checked
 * against a real scrape by {@code ObservabilityIntegrationTests}.
 */
class PrometheusAlertsTests {

	static final Path RULES = Path.of("config/prometheus/balancer-alerts.yml");

	static final Path RULE_TESTS = Path.of("src/test/resources/prometheus/balancer-alerts-tests.yml");

	@Test
	void promtoolFindsTheRulesValid() throws Exception {
		Assumptions.assumeTrue(promtoolInstalled(), "promtool is not installed");

		assertThat(promtool("check", "rules", RULES.toString())).contains("SUCCESS: 8 rules found");
	}

	@Test
	void eachAlertFiresWhenItShouldAndNotBefore() throws Exception {
		Assumptions.assumeTrue(promtoolInstalled(), "promtool is not installed");

		assertThat(promtool("test", "rules", RULE_TESTS.toString())).contains("SUCCESS");
	}

	/** The command's output; fails the test unless it exits with 0. */
	private static String promtool(String... arguments) throws IOException, InterruptedException {
		String[] command = new String[arguments.length + 1];
		command[0] = "promtool";
		System.arraycopy(arguments, 0, command, 1, arguments.length);
		Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
		String output = new String(process.getInputStream().readAllBytes());
		assertThat(process.waitFor(60, TimeUnit.SECONDS)).isTrue();
		assertThat(process.exitValue()).as(output).isZero();
		return output;
	}

	private static boolean promtoolInstalled() {
		try {
			return new ProcessBuilder("promtool", "--version").start().waitFor(30, TimeUnit.SECONDS);
		}
		catch (IOException ex) {
			return false;
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
			return false;
		}
	}

}
