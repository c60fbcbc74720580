package dev.balancer.routing;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import reactor.core.publisher.Mono;

/** One Netty event loop, for tests of code that must run on the event loop of the request. */
final class OneEventLoop implements AutoCloseable {

	final EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());

	/** Assembles and subscribes to the Mono on the loop, as a request's filters are, and waits for its error. */
	Failure failureOf(Supplier<Mono<?>> mono) throws Exception {
		CompletableFuture<Failure> failure = new CompletableFuture<>();
		this.group.execute(() -> {
			Thread loop = Thread.currentThread();
			mono.get().subscribe(null,
					(error) -> failure.complete(new Failure(error, Thread.currentThread() == loop)));
		});
		return failure.get(5, TimeUnit.SECONDS);
	}

	@Override
	public void close() {
		this.group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
	}

	/** The error, and whether it was signalled on the loop's thread. */
	record Failure(Throwable error, boolean onTheLoop) {
	}

}
