package dev.balancer.routing;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;

import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;

import org.springframework.boot.web.server.context.WebServerApplicationContext;
import org.springframework.context.SmartLifecycle;
import org.springframework.web.reactive.socket.CloseStatus;
import org.springframework.web.reactive.socket.WebSocketSession;

/**
 * The WebSocket sessions open through the balancer ({@link WebSocketProxyFilter}), closed on both sides with
 * {@code 1001} "Going Away" when the balancer stops, and the handshakes that come after answered with a
 * {@code 503}.
 * <p>
 * A session is not a request that ends by itself. Spring's graceful shutdown waited for every open one, so a
 * balancer with a single session open took the whole drain timeout
 * ({@code spring.lifecycle.timeout-per-shutdown-phase}) to stop, and then cut the session without a close code
 * (the client saw {@code 1005}, the backend {@code 1014}). {@code 1001} is the code RFC 6455 gives a server going
 * down: clients reconnect, and reach a balancer that stays (on Kubernetes, the Service stopped sending new clients to
 * a stopping pod during its {@code preStop} wait). Requests in flight are drained as before.
 * <p>
 * Stopped in the phase before the graceful shutdown's, so that the drain does not wait for the sessions.
 */
public final class OpenWebSocketSessions implements SmartLifecycle {

	private static final Log logger = LogFactory.getLog("dev.balancer");

	/** The close both sides of a session get when the balancer stops. */
	static final CloseStatus GOING_AWAY = CloseStatus.GOING_AWAY.withReason(Stopping.ANSWER);

	/** The clients' sessions, each with the event loop of its connection. */
	private final Map<WebSocketSession, Executor> sessions = new ConcurrentHashMap<>();

	private volatile boolean running;

	private volatile boolean closing;

	/** Whether the balancer is stopping (its drain has begun): no new session may open. */
	public boolean isClosing() {
		return this.closing;
	}

	/**
	 * Holds a session through the balancer, by its client's side, until {@link #remove(WebSocketSession) removed};
	 * when the balancer is stopping already, closes it at once.
	 *
	 * @param loop the event loop of the client's connection, on which it is closed
	 */
	void add(WebSocketSession client, Executor loop) {
		this.sessions.put(client, loop);
		if (this.closing) { // stop() may have gone past it: closing twice is harmless
			goAway(client, loop);
		}
	}

	/** The session of this client ended. */
	void remove(WebSocketSession client) {
		this.sessions.remove(client);
	}

	/** Sessions open now. */
	public int size() {
		return this.sessions.size();
	}

	@Override
	public void start() {
		this.closing = false;
		this.running = true;
	}

	@Override
	public void stop() {
		this.closing = true;
		this.running = false;
		int open = this.sessions.size();
		if (open > 0) {
			logger.info("Closing " + open + " WebSocket session" + ((open == 1) ? "" : "s")
					+ " with 1001 Going Away: the balancer is shutting down");
		}
		this.sessions.forEach(OpenWebSocketSessions::goAway);
	}

	@Override
	public boolean isRunning() {
		return this.running;
	}

	/** Just before the graceful shutdown's phase, which then has no session to wait for. */
	@Override
	public int getPhase() {
		return WebServerApplicationContext.GRACEFUL_SHUTDOWN_PHASE + 1;
	}

	/**
	 * Closes the client's side; the proxy passes the close on to the backend, as any close, once the messages on
	 * their way to it have gone. (Closing the backend's side here as well raced with the proxy, which could end the
	 * backend's connection before this close went out: the backend saw {@code 1006}.)
	 */
	private static void goAway(WebSocketSession client, Executor loop) {
		// On the connection's own loop, where Reactor Netty's own closes run: a close also ends the reading of the
		// connection's messages, which that loop does.
		loop.execute(() -> client.close(GOING_AWAY).onErrorComplete().subscribe());
	}

}
