package dev.balancer.routing;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import reactor.core.publisher.Operators;
import reactor.netty.ReactorNetty;
import reactor.util.context.Context;

import dev.balancer.metrics.BufferMemory;

import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;

import static org.assertj.core.api.Assertions.assertThat;

/** How errors that come after their operation ended are logged, once {@link DroppedErrors} is installed. */
@ExtendWith(OutputCaptureExtension.class)
class DroppedErrorsTests {

	DroppedErrorsTests() {
		DroppedErrors.install();
		DroppedErrors.install(); // installed once all the same: each dropped error is logged once
	}

	@Test
	void noBufferMemoryIsOneWarningLineAndCounted(CapturedOutput output) {
		long before = BufferMemory.timesRanOut(BufferMemory.Shortage.CONNECTION);
		// what Reactor Netty drops when a read or write finds no buffer memory: Netty's error, wrapped
		Operators.onErrorDropped(ReactorNetty.wrapException(new OutOfMemoryError("no memory for this test")),
				Context.empty());

		assertThat(output).containsOnlyOnce("WARN")
			.contains("A connection found no buffer memory outside a request's exchange: "
					+ "out of buffer memory: no memory for this test")
			.doesNotContain("ERROR")
			.doesNotContain("\tat ");
		assertThat(BufferMemory.timesRanOut(BufferMemory.Shortage.CONNECTION)).isEqualTo(before + 1);
	}

	@Test
	void anyOtherIsLoggedAsReactorDoes(CapturedOutput output) {
		long before = BufferMemory.timesRanOut(BufferMemory.Shortage.CONNECTION);
		Operators.onErrorDropped(new IllegalStateException("dropped for this test"), Context.empty());

		assertThat(output).containsOnlyOnce("Operator called default onErrorDropped")
			.contains("ERROR")
			.contains("java.lang.IllegalStateException: dropped for this test")
			.contains("\tat ");
		assertThat(BufferMemory.timesRanOut(BufferMemory.Shortage.CONNECTION)).isEqualTo(before);
	}

}
