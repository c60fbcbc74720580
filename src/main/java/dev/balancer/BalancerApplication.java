package dev.balancer;

import sun.misc.Signal;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;

/** balancer: an HTTP load balancer on Spring Cloud Gateway. */
@SpringBootApplication
public class BalancerApplication {

	/** Reactor Netty reads it once, when its HTTP server first loads: set before any server starts. */
	private static final String LAST_FLUSH_WHEN_NO_READ = "reactor.netty.http.server.lastFlushWhenNoRead";

	static {
		keepAliveRequestsDispatchedInline();
	}

	public static void main(String[] args) {
		exitWithZeroOnTerm();
		SpringApplication.run(BalancerApplication.class, args);
	}

	/**
	 * A client that sends its next request on a keep-alive connection before Reactor Netty 1.3.6 has finished
	 * with the previous one gets it queued, and a queued request that is answered at once (an actuator
	 * endpoint, a 503 from the balancer) can leave the connection never read again: the client waits forever
	 * (reactor-netty #4361, #4347; under load about one request in 300 took that path). With this property
	 * Reactor Netty finishes the previous request first and handles the next one directly, the workaround
	 * named in #4347 until a release with the fix. An operator's own {@code -D} setting wins.
	 */
	private static void keepAliveRequestsDispatchedInline() {
		if (System.getProperty(LAST_FLUSH_WHEN_NO_READ) == null) {
			System.setProperty(LAST_FLUSH_WHEN_NO_READ, "true");
		}
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
