package dev.balancer.demo;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

/**
 * A backend to try the balancer with, the counterpart of the seed's {@code backend_server.go}: it answers every
 * request with {@code Hello from backend <port> (<method> <path>)}. It uses only the JDK, so it runs straight
 * from its source file, one process per backend:
 *
 * <pre>
 * java src/main/java/dev/balancer/demo/DemoBackend.java 8081
 * </pre>
 *
 * The {@code demo} profile starts three of them inside the balancer's own process.
 */
public final class DemoBackend {

	private final HttpServer server;

	private final ExecutorService executor;

	private DemoBackend(HttpServer server, ExecutorService executor) {
		this.server = server;
		this.executor = executor;
	}

	/** Starts a backend listening on all interfaces at the given port. */
	public static DemoBackend start(int port) throws IOException {
		HttpServer server = HttpServer.create(new InetSocketAddress(port), 0);
		ExecutorService executor = Executors.newCachedThreadPool();
		server.setExecutor(executor);
		server.createContext("/", (exchange) -> answer(exchange, port));
		server.start();
		return new DemoBackend(server, executor);
	}

	private static void answer(HttpExchange exchange, int port) throws IOException {
		try (InputStream body = exchange.getRequestBody()) {
			body.transferTo(OutputStream.nullOutputStream());
			String path = exchange.getRequestURI().getRawPath();
			byte[] reply = ("Hello from backend " + port + " (" + exchange.getRequestMethod() + " " + path + ")\n")
				.getBytes(StandardCharsets.UTF_8);
			exchange.getResponseHeaders().set("Content-Type", "text/plain; charset=utf-8");
			if ("HEAD".equals(exchange.getRequestMethod())) {
				exchange.sendResponseHeaders(200, -1);
				return;
			}
			exchange.sendResponseHeaders(200, reply.length);
			exchange.getResponseBody().write(reply);
		}
		finally {
			exchange.close();
		}
	}

	public void stop() {
		this.server.stop(0);
		this.executor.shutdownNow();
	}

	public static void main(String[] args) throws IOException {
		if (args.length != 1 || !args[0].matches("\\d{1,5}")) {
			System.err.println("usage: java src/main/java/dev/balancer/demo/DemoBackend.java <port>");
			System.exit(2);
		}
		int port = Integer.parseInt(args[0]);
		start(port);
		System.out.println("Backend server started at :" + port);
	}

}
