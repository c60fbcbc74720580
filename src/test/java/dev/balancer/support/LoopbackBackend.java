package dev.balancer.support;

import java.util.function.Consumer;

import reactor.core.publisher.Mono;
import reactor.netty.DisposableServer;
import reactor.netty.http.server.HttpServer;
import reactor.netty.http.server.HttpServerRoutes;

import dev.balancer.BalancerApplication;

/**
 * A backend of a test's own on Reactor Netty: on 127.0.0.1 and a free port, answering the balancer's probes of
 * {@link TestBackend#HEALTH_PATH} (as {@link BalancerTestProperties} registers them) besides the test's routes.
 */
public final class LoopbackBackend {

	static {
		// BalancerApplication sets Reactor Netty's system properties as it loads, before any server, as in the jar;
		// Reactor Netty reads some of them once, when its server classes load. A test class whose backend starts
		// first, before its Spring context, would otherwise leave the balancer of every later test without them.
		try {
			Class.forName(BalancerApplication.class.getName(), true, LoopbackBackend.class.getClassLoader());
		}
		catch (ClassNotFoundException ex) {
			throw new ExceptionInInitializerError(ex);
		}
	}

	private LoopbackBackend() {
	}

	/** The backend, started. */
	public static DisposableServer start(Consumer<? super HttpServerRoutes> routes) {
		return server(routes).bindNow();
	}

	/** The backend, to be configured further and started ({@code bindNow()}) by the caller. */
	public static HttpServer server(Consumer<? super HttpServerRoutes> routes) {
		return HttpServer.create().host("127.0.0.1").port(0).route((all) -> {
			all.get(TestBackend.HEALTH_PATH, (request, response) -> response.sendString(Mono.just("ok")));
			routes.accept(all);
		});
	}

}
