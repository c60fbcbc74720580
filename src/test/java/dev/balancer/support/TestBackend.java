package dev.balancer.support;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

/**
 * A real HTTP backend for tests, on 127.0.0.1 and a free port. It answers every path with its name and
 * status 200 unless told otherwise, records what it received, and answers probes of {@link #HEALTH_PATH}
 * separately so that tests can count proxied requests without the health checker's traffic. It can be
 * stopped (connections are then refused) and started again on the same port.
 */
public final class TestBackend implements AutoCloseable {

	/** The path tests configure as {@code balancer.health-check.path}. */
	public static final String HEALTH_PATH = "/health";

	/**
	 * A path whose requests the backend neither reads nor answers for 3 s: a backend stuck before it takes the
	 * body. They are not recorded.
	 */
	public static final String TAKES_NOTHING_PATH = "/take-nothing";

	/** Bodies up to this size are kept whole; larger ones only by length and digest. */
	private static final int KEPT_BODY_LIMIT = 8 * 1024 * 1024;

	private final String name;

	private final List<RecordedRequest> requests = new CopyOnWriteArrayList<>();

	private final AtomicInteger probes = new AtomicInteger();

	private volatile int status = 200;

	private volatile int healthStatus = 200;

	private volatile Duration delay = Duration.ZERO;

	private volatile Duration healthDelay = Duration.ZERO;

	private volatile boolean flapping;

	private volatile String lastProbeHost;

	private int port;

	private HttpServer server;

	private ExecutorService executor;

	private TestBackend(String name) {
		this.name = name;
	}

	/** Starts a backend that answers with {@code name}. */
	public static TestBackend start(String name) {
		TestBackend backend = new TestBackend(name);
		backend.listen(0);
		return backend;
	}

	public String name() {
		return this.name;
	}

	public int port() {
		return this.port;
	}

	public String url() {
		return "http://127.0.0.1:" + this.port;
	}

	/** Status of answers to every path but the health path. */
	public TestBackend status(int status) {
		this.status = status;
		return this;
	}

	/** Status of answers to {@link #HEALTH_PATH}. */
	public TestBackend healthStatus(int status) {
		this.healthStatus = status;
		return this;
	}

	/** Health probes alternately get 200 and 500, starting with 500. */
	public TestBackend flapping(boolean flapping) {
		this.flapping = flapping;
		return this;
	}

	/** The Host header of the last health probe. */
	public String lastProbeHost() {
		return this.lastProbeHost;
	}

	/** How long to wait before answering any path but the health path. */
	public TestBackend delay(Duration delay) {
		this.delay = delay;
		return this;
	}

	/** How long to wait before answering a health probe. */
	public TestBackend healthDelay(Duration delay) {
		this.healthDelay = delay;
		return this;
	}

	/** Requests received on any path but the health path, in arrival order. */
	public List<RecordedRequest> requests() {
		return List.copyOf(this.requests);
	}

	public int requestCount() {
		return this.requests.size();
	}

	/** Health probes received. */
	public int probeCount() {
		return this.probes.get();
	}

	public void clear() {
		this.requests.clear();
		this.probes.set(0);
	}

	/** Closes the listening socket: new connections are refused until {@link #restart()}. */
	public synchronized void stop() {
		if (this.server != null) {
			this.server.stop(0);
			this.executor.shutdownNow();
			this.server = null;
		}
	}

	/** Listens again on the same port. */
	public synchronized void restart() {
		stop();
		listen(this.port);
	}

	public synchronized boolean isRunning() {
		return this.server != null;
	}

	@Override
	public void close() {
		stop();
	}

	private synchronized void listen(int port) {
		try {
			this.server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 128);
		}
		catch (IOException ex) {
			throw new UncheckedIOException("Cannot listen on port " + port, ex);
		}
		this.executor = Executors.newCachedThreadPool();
		this.server.setExecutor(this.executor);
		this.server.createContext("/", this::handle);
		this.server.start();
		this.port = this.server.getAddress().getPort();
	}

	private void handle(HttpExchange exchange) throws IOException {
		try {
			if (exchange.getRequestURI().getPath().equals(TAKES_NOTHING_PATH)) {
				pause(Duration.ofSeconds(3));
				return;
			}
			boolean probe = exchange.getRequestURI().getPath().equals(HEALTH_PATH);
			Body body = read(exchange.getRequestBody());
			if (probe) {
				int count = this.probes.incrementAndGet();
				this.lastProbeHost = exchange.getRequestHeaders().getFirst("Host");
				pause(this.healthDelay);
				reply(exchange, this.flapping ? ((count % 2 == 1) ? 500 : 200) : this.healthStatus);
				return;
			}
			Map<String, List<String>> headers = Map.copyOf(exchange.getRequestHeaders());
			this.requests.add(new RecordedRequest(exchange.getRequestMethod(),
					exchange.getRequestURI().getRawPath(), exchange.getRequestURI().getRawQuery(), headers,
					body.kept, body.length, body.sha256));
			pause(this.delay);
			reply(exchange, this.status);
		}
		finally {
			exchange.close();
		}
	}

	private void reply(HttpExchange exchange, int status) throws IOException {
		byte[] reply = this.name.getBytes(StandardCharsets.UTF_8);
		exchange.getResponseHeaders().set("Content-Type", "text/plain");
		exchange.getResponseHeaders().set("X-Backend", this.name);
		if ("HEAD".equals(exchange.getRequestMethod())) {
			exchange.sendResponseHeaders(status, -1);
			return;
		}
		exchange.sendResponseHeaders(status, reply.length);
		exchange.getResponseBody().write(reply);
	}

	private static void pause(Duration delay) {
		if (delay.isZero()) {
			return;
		}
		try {
			Thread.sleep(delay.toMillis());
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
		}
	}

	private static Body read(InputStream in) throws IOException {
		MessageDigest digest = sha256();
		java.io.ByteArrayOutputStream kept = new java.io.ByteArrayOutputStream();
		byte[] chunk = new byte[64 * 1024];
		long length = 0;
		for (int n = in.read(chunk); n >= 0; n = in.read(chunk)) {
			digest.update(chunk, 0, n);
			if (length + n <= KEPT_BODY_LIMIT) {
				kept.write(chunk, 0, n);
			}
			length += n;
		}
		byte[] keptBytes = (length <= KEPT_BODY_LIMIT) ? kept.toByteArray() : null;
		return new Body(keptBytes, length, HexFormat.of().formatHex(digest.digest()));
	}

	static MessageDigest sha256() {
		try {
			return MessageDigest.getInstance("SHA-256");
		}
		catch (NoSuchAlgorithmException ex) {
			throw new IllegalStateException(ex);
		}
	}

	private record Body(byte[] kept, long length, String sha256) {
	}

	/**
	 * One request as the backend received it.
	 *
	 * @param method the method
	 * @param path the raw path
	 * @param query the raw query, {@code null} if none
	 * @param headers the headers, names as the JDK server normalizes them (first letter upper case)
	 * @param body the body, {@code null} when it was over 8 MiB
	 * @param bodyLength the body's length in bytes
	 * @param bodySha256 hex SHA-256 of the body
	 */
	public record RecordedRequest(String method, String path, String query, Map<String, List<String>> headers,
			byte[] body, long bodyLength, String bodySha256) {

		public String header(String name) {
			for (Map.Entry<String, List<String>> entry : this.headers.entrySet()) {
				if (entry.getKey().equalsIgnoreCase(name)) {
					return String.join(",", entry.getValue());
				}
			}
			return null;
		}

	}

}
