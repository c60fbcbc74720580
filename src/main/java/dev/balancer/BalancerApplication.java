package dev.balancer;

import reactor.netty.ReactorNetty;
import sun.misc.Signal;

import dev.balancer.routing.DroppedErrors;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;

/** balancer: an HTTP load balancer on Spring Cloud Gateway. */
@SpringBootApplication
public class BalancerApplication {

	static {
		keepAliveRequestsDispatchedInline();
		fewerPiecesOfABodyInFlight();
		resetsNoticedOnIoUring();
		DroppedErrors.install();
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
		// read once, when Reactor Netty's HTTP server first loads
		setUnlessGiven("reactor.netty.http.server.lastFlushWhenNoRead", "true");
	}

	/**
	 * Reactor Netty keeps up to 128 pieces of a body that it has taken from one side and not yet handed to the
	 * other (a piece is what one read brought, up to 64 KB), so an upload to a backend slower than its client, or a
	 * download to a client slower than its backend, is held in the balancer's buffer memory far beyond nginx's or
	 * HAProxy's 16 KB. 3,000 concurrent uploads of 200 KB ran Netty out of buffer memory on io_uring; 16 pieces,
	 * with {@code ReceiveBuffers}, held them (docs/performance-log.md, "Buffers on io_uring").
	 */
	private static void fewerPiecesOfABodyInFlight() {
		// read once, when Reactor Netty first sends a body
		setUnlessGiven(ReactorNetty.REACTOR_NETTY_SEND_MAX_PREFETCH_SIZE, "16");
	}

	/**
	 * On io_uring Netty waits for a connection's data with one poll that stays armed and reports each change once
	 * (multishot). A client that reset its connection in the middle of an upload was often never noticed: the
	 * connection stayed active, its poll armed and a read wanted, though the kernel had closed the socket, and it held
	 * its exchange and backend connection until {@code balancer.timeouts.client}. As far as Netty 4.2.18's code shows,
	 * the one report of the reset is spent while a read is under way; that read returns the last data, the socket
	 * looks empty, and Netty waits for a report that never comes. A poll armed anew for each wait finds the reset at
	 * once: of 400 uploading clients reset together, the balancer held 46 to 260 with the multishot poll and none
	 * without (a bare Reactor Netty server up to 24, and none); in harness runs the difference in speed was within the
	 * noise (docs/performance-log.md, "A reset in the middle of an upload"). Other transports ignore this property.
	 */
	private static void resetsNoticedOnIoUring() {
		// read once, when Netty's io_uring transport first loads
		setUnlessGiven("io.netty.iouring.pollAddMultishotEnabled", "false");
	}

	/** Sets a system property that the operator has not set with {@code -D}: theirs wins. */
	static void setUnlessGiven(String key, String value) {
		if (System.getProperty(key) == null) {
			System.setProperty(key, value);
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
