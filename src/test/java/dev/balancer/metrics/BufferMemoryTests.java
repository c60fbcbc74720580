package dev.balancer.metrics;

import java.util.ArrayList;
import java.util.List;

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

	/**
	 * The count is the process's: buffers of earlier tests' connections, still being freed, can lower it between the
	 * two reads (seen once, in CI). So the step of a megabyte is looked for in up to five tries; a gauge that does
	 * not follow Netty's buffers fails them all.
	 */
	@Test
	void theMemoryInUseFollowsNettysBuffersAndTheLimitIsNettys() {
		int megabyte = 1024 * 1024;
		List<Double> steps = new ArrayList<>();
		for (int attempt = 0; attempt < 5 && (steps.isEmpty() || steps.get(steps.size() - 1) < megabyte); attempt++) {
			double before = this.registry.get("balancer.buffer.memory.used").gauge().value();
			ByteBuf buffer = new UnpooledByteBufAllocator(true).directBuffer(megabyte);
			try {
				steps.add(this.registry.get("balancer.buffer.memory.used").gauge().value() - before);
			}
			finally {
				buffer.release();
			}
		}
		assertThat(steps).as("the steps seen when a megabyte was taken").anySatisfy(
				(step) -> assertThat(step).isGreaterThanOrEqualTo(megabyte));
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
