package dev.balancer.config;

import java.nio.ByteBuffer;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.netty.channel.AdaptiveRecvByteBufAllocator;
import io.netty.channel.ChannelOption;
import io.netty.channel.RecvByteBufAllocator;
import io.netty.util.UncheckedBooleanSupplier;
import org.jspecify.annotations.Nullable;
import reactor.netty.http.client.HttpClient;
import reactor.netty.resources.LoopResources;

import dev.balancer.metrics.BufferMemory;

/**
 * On io_uring, every client and backend connection receives into buffers of at most {@link #IO_URING_MAXIMUM}
 * bytes; on epoll and NIO, Netty's own sizes (up to 64 KB).
 * <p>
 * The two read differently. On epoll a buffer is taken when data has come and handed on at once. On io_uring each
 * open connection has a receive queued with the kernel at all times, and the buffer it will fill is taken when the
 * receive is queued: every connection holds one the whole time it waits, a client connection for its backend's
 * answer or its next request, a backend connection for an answer or in the pool. Netty sizes that buffer by what
 * the connection read last, up to 64 KB, so a connection that carried an upload or a download keeps 64 KB from then
 * on. Measured with 300 concurrent 200 KB uploads to backends that answer after 300 ms and Netty's buffer memory at
 * 32 MB: 14-19 MB of it in use on io_uring against 2-3 MB on epoll, 149 requests failed on io_uring for want of
 * memory, and an event loop stopped for good (Netty does not survive a failed allocation of a receive
 * buffer there: each connection of that loop hangs until the process restarts). At 16 KB, 9 MB and none failed
 * (docs/performance-log.md, "Buffers on io_uring").
 * <p>
 * Netty's own answer to this, rings of buffers that the kernel takes only when data comes
 * ({@code IoUringBufferRingConfig}), did worse in the same run: the rings are filled ahead for every loop, and
 * the loops stopped again. Capping the size is the setting Netty offers that worked.
 */
final class ReceiveBuffers {

	/** The largest receive on io_uring; HAProxy's buffers are of this size, nginx's for request bodies 8 or 16 KB. */
	static final int IO_URING_MAXIMUM = 16 * 1024;

	private ReceiveBuffers() {
	}

	/** The client, receiving into the buffers for connections on the given loops. */
	static HttpClient on(HttpClient client, LoopResources loops) {
		RecvByteBufAllocator buffers = on(loops);
		return (buffers != null) ? client.option(ChannelOption.RCVBUF_ALLOCATOR, buffers) : client;
	}

	/** The receive buffers for connections on the given loops, or {@code null} to keep Netty's. */
	static @Nullable RecvByteBufAllocator on(LoopResources loops) {
		return forTransport(TransportLoopResources.describe(loops));
	}

	/**
	 * The receive buffers for connections on the given transport ({@link TransportLoopResources#describe}), or
	 * {@code null} to keep Netty's.
	 */
	static @Nullable RecvByteBufAllocator forTransport(String transport) {
		if (!transport.equals("io_uring")) {
			return null;
		}
		// Netty's minimum and first guess (64 bytes, 2 KB), a lower ceiling
		return new SparingWhenOutOfMemory(new AdaptiveRecvByteBufAllocator(64, 2048, IO_URING_MAXIMUM));
	}

	/**
	 * Receives into a buffer of {@link #SPARE} bytes taken outside Netty's buffer memory when Netty has none left,
	 * instead of failing.
	 * <p>
	 * On io_uring Netty takes the buffer for a connection's next receive inside its event loop's own work, where
	 * it does not catch a failure: an {@link OutOfMemoryError} from its allocator (its
	 * {@code OutOfDirectMemoryError}) ends the event loop, and every connection on it hangs until the process
	 * restarts. On epoll the same failure fails one connection. The spare buffer keeps the loop running: the
	 * connection reads a little, and its next receive asks Netty's allocator again. What the spare buffers can
	 * take outside Netty's cap is small: one per open connection at most, of 512 bytes, in the JVM's own buffer
	 * memory ({@code -XX:MaxDirectMemorySize}, which Netty does not use).
	 */
	static final class SparingWhenOutOfMemory implements RecvByteBufAllocator {

		/** The size of a receive when Netty has no buffer memory left. */
		static final int SPARE = 512;

		private final RecvByteBufAllocator allocator;

		SparingWhenOutOfMemory(RecvByteBufAllocator allocator) {
			this.allocator = allocator;
		}

		@Override
		public Handle newHandle() {
			return new SparingHandle((RecvByteBufAllocator.ExtendedHandle) this.allocator.newHandle());
		}

	}

	private static final class SparingHandle extends RecvByteBufAllocator.DelegatingHandle
			implements RecvByteBufAllocator.ExtendedHandle {

		SparingHandle(RecvByteBufAllocator.ExtendedHandle handle) {
			super(handle);
		}

		@Override
		public ByteBuf allocate(ByteBufAllocator alloc) {
			try {
				return super.allocate(alloc);
			}
			catch (OutOfMemoryError ex) {
				BufferMemory.ranOut(BufferMemory.Shortage.RECEIVE);
				// a direct buffer, as io_uring needs its address; writable from the start
				return Unpooled.wrappedBuffer(ByteBuffer.allocateDirect(SparingWhenOutOfMemory.SPARE)).clear();
			}
		}

		@Override
		public boolean continueReading(UncheckedBooleanSupplier maybeMoreDataSupplier) {
			return ((RecvByteBufAllocator.ExtendedHandle) delegate()).continueReading(maybeMoreDataSupplier);
		}

	}

}
