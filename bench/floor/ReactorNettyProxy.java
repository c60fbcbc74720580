import java.util.Arrays;
import java.util.concurrent.atomic.AtomicInteger;

import io.netty.channel.Channel;
import io.netty.handler.flush.FlushConsolidationHandler;
import reactor.netty.DisposableServer;
import reactor.netty.http.client.HttpClient;
import reactor.netty.http.server.HttpServer;
import reactor.netty.resources.ConnectionProvider;
import reactor.netty.resources.LoopResources;

/**
 * The floor under the balancer: a round-robin HTTP proxy on Reactor Netty alone, the network library under Spring
 * Cloud Gateway, with none of the balancer's features (no Spring, no route, no health checks, retries or
 * metrics). What it costs per request, a Java proxy built on Reactor Netty can hardly undercut on the same machine.
 * <p>
 * It has the balancer's network tuning: four event loops on Reactor Netty's preferred transport (io_uring, else
 * epoll, else NIO); each loop's writes sent together at the end of its round of I/O (Netty's
 * {@code FlushConsolidationHandler}); backend connections pooled per event loop, so a request goes to its
 * backend from the loop that read it; and a response's head and body written in one go. To that end it holds
 * each response body in memory: fine for the benchmark's short answers, not for a real proxy.
 * <p>
 * Run by {@code bench/run.sh --floor}: {@code java -cp 'LIB/*' ReactorNettyProxy.java PORT BACKEND_URL...}, where
 * LIB holds the libraries of the balancer's jar.
 */
public class ReactorNettyProxy {

	public static void main(String[] args) {
		int port = Integer.parseInt(args[0]);
		String[] backends = Arrays.copyOfRange(args, 1, args.length);
		LoopResources loops = LoopResources.create("floor", 4, true);
		// One client, and so one pool, per event loop: called on a loop, a colocated client connects on that loop.
		ThreadLocal<HttpClient> clients = ThreadLocal.withInitial(() -> HttpClient
			.create(ConnectionProvider.builder("floor").maxConnections(2048).pendingAcquireMaxCount(-1).build())
			.runOn(loops)
			.doOnChannelInit((observer, channel, address) -> batchFlushes(channel)));
		AtomicInteger next = new AtomicInteger();
		DisposableServer server = HttpServer.create()
			.host("127.0.0.1")
			.port(port)
			.runOn(loops)
			.doOnChannelInit((observer, channel, address) -> batchFlushes(channel))
			.handle((request, response) -> clients.get()
				.headers((headers) -> headers.set(request.requestHeaders()))
				.request(request.method())
				.uri(backends[Math.floorMod(next.getAndIncrement(), backends.length)] + request.uri())
				.send(request.receive().retain())
				.response((answer, body) -> response.status(answer.status())
					.headers(answer.responseHeaders())
					.send(body.aggregate().retain()))
				.then())
			.bindNow();
		System.out.println("Reactor Netty floor proxy on 127.0.0.1:" + server.port() + " ("
				+ server.channel().getClass().getSimpleName() + ")");
		server.onDispose().block();
	}

	private static void batchFlushes(Channel channel) {
		channel.pipeline().addFirst("floor.batchedFlushes", new FlushConsolidationHandler(256, true));
	}

}
