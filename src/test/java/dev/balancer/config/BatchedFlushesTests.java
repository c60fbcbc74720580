package dev.balancer.config;

import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.flush.FlushConsolidationHandler;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import reactor.netty.ConnectionObserver;

import static org.assertj.core.api.Assertions.assertThat;

/** When a connection's writes go out: at the end of its own read, or in a task right after the loop's I/O. */
// EmbeddedChannel runs the loop's pending tasks on every write that reaches it, and in its own writeAndFlush and
// close: so each test writes once, through the pipeline.
class BatchedFlushesTests {

	private final EmbeddedChannel channel = new EmbeddedChannel();

	BatchedFlushesTests() {
		BatchedFlushes.install(ConnectionObserver.emptyListener(), this.channel, null);
	}

	@AfterEach
	void close() {
		this.channel.finishAndReleaseAll();
	}

	@Test
	void goesFirstInThePipeline() {
		assertThat(this.channel.pipeline().names().get(0)).isEqualTo(BatchedFlushes.HANDLER_NAME);
		assertThat(this.channel.pipeline().first()).isInstanceOf(FlushConsolidationHandler.class);
	}

	@Test
	void aWriteMadeOutsideAReadGoesOutInTheLoopsNextTask() {
		this.channel.pipeline().writeAndFlush("response to another connection's request");

		assertThat(this.channel.outboundMessages()).isEmpty();
		this.channel.runPendingTasks();
		assertThat(this.channel.outboundMessages()).containsExactly("response to another connection's request");
	}

	@Test
	void aWriteMadeDuringTheConnectionsOwnReadGoesOutWhenTheReadCompletes() {
		this.channel.pipeline().fireChannelRead("request");
		this.channel.pipeline().writeAndFlush("error response");

		assertThat(this.channel.outboundMessages()).isEmpty();
		this.channel.pipeline().fireChannelReadComplete();
		assertThat(this.channel.outboundMessages()).containsExactly("error response");
		assertThat((Object) this.channel.readInbound()).isEqualTo("request");
	}

	@Test
	void closingSendsWhatIsPending() {
		this.channel.pipeline().writeAndFlush("last words");
		this.channel.pipeline().close();

		assertThat(this.channel.outboundMessages()).containsExactly("last words");
	}

}
