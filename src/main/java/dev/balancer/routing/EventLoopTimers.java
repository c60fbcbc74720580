package dev.balancer.routing;

import io.netty.channel.EventLoop;
import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.FastThreadLocal;
import io.netty.util.internal.ThreadExecutorMap;
import org.jspecify.annotations.Nullable;
import reactor.core.scheduler.Scheduler;
import reactor.core.scheduler.Schedulers;

/**
 * Timers for the per-request timeouts on the Netty event loop that runs the request.
 * <p>
 * Reactor's {@code timeout(Duration)} schedules on its parallel scheduler, whose
 * {@code ScheduledThreadPoolExecutor} queue is shared by all event loops under one lock: two timers per proxied
 * request (request and response timeout) were 2-3% of the profile, set and cancelled across threads. An event
 * loop keeps its own timer queue that it touches without locks, and a timer that fires runs where its request
 * runs. Reactor offers no such scheduler, hence this class.
 */
public final class EventLoopTimers {

	// Empty on threads that are not Netty event loops; the parallel scheduler is then looked up on each call,
	// since Reactor may replace it (Schedulers.resetFactory, shutdownNow).
	private static final FastThreadLocal<@Nullable Scheduler> SCHEDULERS = new FastThreadLocal<>() {
		@Override
		protected @Nullable Scheduler initialValue() {
			EventExecutor executor = ThreadExecutorMap.currentExecutor();
			// The wrapper is never disposed: disposing it would shut the event loop down.
			return (executor instanceof EventLoop loop) ? Schedulers.fromExecutorService(loop, "event-loop-timer")
					: null;
		}
	};

	private EventLoopTimers() {
	}

	/**
	 * A scheduler for delays on the calling thread's event loop, or Reactor's parallel scheduler when the caller
	 * is not on an event loop (a retry after a backoff pause, a test).
	 */
	public static Scheduler current() {
		Scheduler loop = SCHEDULERS.get();
		return (loop != null) ? loop : Schedulers.parallel();
	}

}
