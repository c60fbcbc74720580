package dev.balancer.metrics;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.UnpooledByteBufAllocator;
import io.netty.util.internal.PlatformDependent;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** {@link BufferMemory}'s meters read Netty's count of its buffer memory, and the balancer's of its shortages. */
class BufferMemoryTests {

	private final SimpleMeterRegistry registry = new SimpleMeterRegistry();

	BufferMemoryTests() {
		new BufferMemory().bindTo(this.registry);
	}

	@Test
	void theMemoryInUseFollowsNettysBuffersAndTheLimitIsNettys() {
		double before = this.registry.get("balancer.buffer.memory.used").gauge().value();
		ByteBuf buffer = new UnpooledByteBufAllocator(true).directBuffer(1024 * 1024);
		try {
			assertThat(this.registry.get("balancer.buffer.memory.used").gauge().value())
				.isGreaterThanOrEqualTo(before + 1024 * 1024);
		}
		finally {
			buffer.release();
		}
		assertThat(this.registry.get("balancer.buffer.memory.max").gauge().value())
			.isEqualTo(PlatformDependent.maxDirectMemory())
			.isPositive();
	}

	@Test
	void eachShortageIsCountedUnderItsOwnTag() {
		double before = this.registry.get("balancer.buffer.memory.exhausted").tag("where", "response").functionCounter().count();
		double receives = this.registry.get("balancer.buffer.memory.exhausted").tag("where", "receive").functionCounter().count();

		BufferMemory.ranOut(BufferMemory.Shortage.RESPONSE);

		assertThat(this.registry.get("balancer.buffer.memory.exhausted").tag("where", "response").functionCounter().count())
			.isEqualTo(before + 1);
		assertThat(this.registry.get("balancer.buffer.memory.exhausted").tag("where", "receive").functionCounter().count())
			.isEqualTo(receives);
		assertThat(this.registry.get("balancer.buffer.memory.exhausted").tag("where", "request_body").functionCounter())
			.isNotNull();
	}

}
