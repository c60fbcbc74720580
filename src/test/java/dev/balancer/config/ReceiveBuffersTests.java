package dev.balancer.config;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.AbstractByteBufAllocator;
import io.netty.buffer.UnpooledByteBufAllocator;
import io.netty.channel.RecvByteBufAllocator;
import io.netty.channel.embedded.EmbeddedChannel;
import org.junit.jupiter.api.Test;

import dev.balancer.metrics.BufferMemory;

import static org.assertj.core.api.Assertions.assertThat;

/** The receive buffers of each transport, and a receive on io_uring when Netty has no buffer memory left. */
class ReceiveBuffersTests {

	@Test
	void onlyIoUringReceivesDifferentlyFromNetty() {
		assertThat(ReceiveBuffers.forTransport("epoll")).isNull();
		assertThat(ReceiveBuffers.forTransport("nio")).isNull();
		assertThat(ReceiveBuffers.forTransport("io_uring")).isNotNull();
	}

	@Test
	void aReceiveOnIoUringNeverGuessesAbove16Kb() {
		RecvByteBufAllocator.Handle handle = handle();
		for (int read = 0; read < 10; read++) {
			handle.lastBytesRead(handle.guess()); // every read fills its buffer: Netty grows the next one
		}
		handle.readComplete();

		assertThat(handle.guess()).isEqualTo(ReceiveBuffers.IO_URING_MAXIMUM);
	}

	@Test
	void aReceiveGetsNettysBufferWhileItHasMemory() {
		ByteBuf buffer = handle().allocate(UnpooledByteBufAllocator.DEFAULT);
		try {
			assertThat(buffer.capacity()).isEqualTo(2048);
		}
		finally {
			buffer.release();
		}
	}

	@Test
	void aReceiveGetsASpareDirectBufferWhenNettyHasNoMemoryLeft() {
		long before = BufferMemory.timesRanOut(BufferMemory.Shortage.RECEIVE);
		ByteBuf buffer = handle().allocate(new OutOfMemory());
		try {
			assertThat(BufferMemory.timesRanOut(BufferMemory.Shortage.RECEIVE)).isEqualTo(before + 1);
			assertThat(buffer.isDirect()).isTrue();
			assertThat(buffer.hasMemoryAddress()).as("io_uring receives into a buffer by its address").isTrue();
			assertThat(buffer.writableBytes()).isEqualTo(ReceiveBuffers.SparingWhenOutOfMemory.SPARE);
			assertThat(buffer.readableBytes()).isZero();
		}
		finally {
			buffer.release();
		}
	}

	private static RecvByteBufAllocator.Handle handle() {
		RecvByteBufAllocator.Handle handle = ReceiveBuffers.forTransport("io_uring").newHandle();
		handle.reset(new EmbeddedChannel().config());
		return handle;
	}

	/** Netty's allocator once its buffer memory is used up: its OutOfDirectMemoryError is an OutOfMemoryError. */
	private static final class OutOfMemory extends AbstractByteBufAllocator {

		OutOfMemory() {
			super(true);
		}

		@Override
		protected ByteBuf newDirectBuffer(int initialCapacity, int maxCapacity) {
			throw new OutOfMemoryError("failed to allocate " + initialCapacity + " byte(s) of direct memory");
		}

		@Override
		protected ByteBuf newHeapBuffer(int initialCapacity, int maxCapacity) {
			throw new OutOfMemoryError("no heap buffers either");
		}

		@Override
		public boolean isDirectBufferPooled() {
			return false;
		}

	}

}
