package dev.balancer;

import sun.misc.Signal;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;

/** balancer: an HTTP load balancer on Spring Cloud Gateway. */
@SpringBootApplication
public class BalancerApplication {

	public static void main(String[] args) {
		exitWithZeroOnTerm();
		SpringApplication.run(BalancerApplication.class, args);
	}

	/**
	 * Kubernetes and container runtimes stop a process with SIGTERM, after which the JVM exits with 143 even
	 * when the shutdown went cleanly. {@code System.exit(0)} runs the same shutdown hooks, so Spring Boot still
	 * drains the requests in flight first, and reports the stop as the success it is. The JDK has no supported
	 * API for signal handlers; {@code sun.misc.Signal} is the one the JDK keeps for this (module
	 * {@code jdk.unsupported}).
	 */
	private static void exitWithZeroOnTerm() {
		Signal.handle(new Signal("TERM"), (signal) -> System.exit(0));
	}

}
