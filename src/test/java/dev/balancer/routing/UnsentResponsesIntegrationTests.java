package dev.balancer.routing;

import java.io.IOException;
import java.time.Duration;

import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.handler.codec.EncoderException;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.util.ReferenceCountUtil;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.netty.DisposableServer;
import reactor.netty.NettyPipeline;

import dev.balancer.metrics.BufferMemory;
import dev.balancer.support.BalancerTestProperties;
import dev.balancer.support.LoopbackBackend;
import dev.balancer.support.RawRequests;

import org.springframework.boot.reactor.netty.NettyServerCustomizer;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.context.SpringBootTest.WebEnvironment;
import org.springframework.boot.test.context.TestConfiguration;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Import;
import org.springframework.test.annotation.DirtiesContext;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A response whose head cannot be sent to the client (Netty's HTTP encoder found no buffer memory for it, as under
 * a load that takes all of it) ends the client's connection at once ({@link Http1Exchanges}). Reactor Netty kept
 * the connection for a next request when that head went out with the whole response: the client waited for an
 * answer until the idle timeout. Here a handler in front of the encoder fails the heads of responses to paths
 * with {@code unsendable} in them as the encoder does.
 */
@SpringBootTest(webEnvironment = WebEnvironment.RANDOM_PORT)
@Import(UnsentResponsesIntegrationTests.Installer.class)
@DirtiesContext // stops its health checker and frees its ports; no other test class shares this context
@ExtendWith(OutputCaptureExtension.class)
class UnsentResponsesIntegrationTests {

	static final String LARGE = "x".repeat(SingleWriteResponseFilter.MAX_BODY_BYTES + 1);

	static final DisposableServer backend = LoopbackBackend.start((routes) -> routes
			.get("/large-unsendable", (request, response) -> response.sendString(Mono.just(LARGE)))
			.get("/stream-unsendable", (request, response) -> response
				.sendString(Flux.just("first;", "second;").delayElements(Duration.ofMillis(20))))
			.route((request) -> true, (request, response) -> response.sendString(Mono.just("answer to " + request.uri()))));

	@DynamicPropertySource
	static void balancer(DynamicPropertyRegistry registry) {
		BalancerTestProperties.register(registry, backend);
	}

	@AfterAll
	static void stopBackend() {
		backend.disposeNow();
	}

	@LocalServerPort
	int port;

	@Test
	void aResponseWhoseHeadCannotBeSentClosesTheConnectionAtOnce(CapturedOutput output) throws IOException {
		long before = BufferMemory.timesRanOut(BufferMemory.Shortage.RESPONSE);
		String received = RawRequests.untilClosed(this.port, "GET /small-unsendable HTTP/1.1\r\nHost: balancer\r\n\r\n");

		assertThat(received).as("nothing of the response, and the connection closed within 5 s").isEmpty();
		assertThat(output).contains("a response could not be sent: out of buffer memory: no memory for this test");
		assertThat(BufferMemory.timesRanOut(BufferMemory.Shortage.RESPONSE)).isEqualTo(before + 1);
	}

	@ParameterizedTest
	@ValueSource(strings = { "/large-unsendable", "/stream-unsendable" })
	void aStreamedResponseWhoseHeadCannotBeSentClosesTheConnectionToo(String path, CapturedOutput output)
			throws IOException {
		long before = BufferMemory.timesRanOut(BufferMemory.Shortage.RESPONSE);
		String received = RawRequests.untilClosed(this.port, "GET " + path + " HTTP/1.1\r\nHost: balancer\r\n\r\n");

		assertThat(received).as("nothing of the response, and the connection closed within 5 s").isEmpty();
		assertThat(output).as("one record of it, not Spring's ERROR line too")
			.contains("a response could not be sent: out of buffer memory")
			.doesNotContain("ERROR");
		assertThat(BufferMemory.timesRanOut(BufferMemory.Shortage.RESPONSE)).as("counted once").isEqualTo(before + 1);
	}

	@Test
	void otherResponsesGoOut() throws IOException {
		assertThat(RawRequests.response(this.port, "GET /fine HTTP/1.1\r\nHost: balancer\r\n\r\n"))
			.startsWith("HTTP/1.1 200 OK")
			.endsWith("answer to /fine");
	}

	/**
	 * Fails the write of the head of each response to a request for a path with {@code unsendable} in it, as
	 * Netty's HTTP encoder fails one it finds no buffer memory for; between the encoder and the balancer's handlers.
	 */
	static final class NoMemoryForSomeResponses extends ChannelDuplexHandler {

		private boolean unsendable;

		@Override
		public void channelRead(ChannelHandlerContext ctx, Object msg) {
			if (msg instanceof HttpRequest request) {
				this.unsendable = request.uri().contains("unsendable");
			}
			ctx.fireChannelRead(msg);
		}

		@Override
		public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
			if (this.unsendable && msg instanceof HttpResponse) {
				ReferenceCountUtil.release(msg);
				promise.setFailure(new EncoderException(new OutOfMemoryError("no memory for this test")));
				return;
			}
			ctx.write(msg, promise);
		}

	}

	@TestConfiguration(proxyBeanMethods = false)
	static class Installer {

		@Bean
		NettyServerCustomizer noMemoryForSomeResponses() {
			return (server) -> server.doOnChannelInit((observer, channel, address) -> {
				if (channel.pipeline().get(NettyPipeline.HttpCodec) != null) {
					channel.pipeline()
						.addAfter(NettyPipeline.HttpCodec, "test.noMemoryForSomeResponses", new NoMemoryForSomeResponses());
				}
			});
		}

	}

}
