package dev.balancer.config;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.uring.IoUring;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIf;
import reactor.core.publisher.Mono;
import reactor.netty.DisposableServer;
import reactor.netty.http.client.HttpClient;

import dev.balancer.support.BalancerTestProperties;
import dev.balancer.support.LoopbackBackend;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.reactor.netty.NettyServerCustomizer;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.context.SpringBootTest.WebEnvironment;
import org.springframework.boot.test.context.TestConfiguration;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.cloud.gateway.config.HttpClientCustomizer;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Import;
import org.springframework.test.annotation.DirtiesContext;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * On io_uring, client and backend connections receive into buffers of at most 16 KB ({@link ReceiveBuffers}),
 * also while a 1 MB upload or download streams through them, where Netty's own sizes grow to 64 KB.
 */
@SpringBootTest(webEnvironment = WebEnvironment.RANDOM_PORT, properties = "balancer.transport=io-uring")
@Import(ReceiveBuffersIntegrationTests.Recording.class)
@EnabledIf("ioUringAvailable")
@DirtiesContext
class ReceiveBuffersIntegrationTests {

	private static final Duration PATIENCE = Duration.ofSeconds(10);

	private static final int ONE_MB = 1024 * 1024;

	static final DisposableServer backend = LoopbackBackend.start((routes) -> routes
		.put("/upload", (request, response) -> response.sendString(request.receive()
			.map(ByteBuf::readableBytes)
			.reduce(0, Integer::sum)
			.map((length) -> "received " + length)))
		.get("/download", (request, response) -> response.send(Mono.fromSupplier(() -> Unpooled.wrappedBuffer(new byte[ONE_MB])))));

	@DynamicPropertySource
	static void balancer(DynamicPropertyRegistry registry) {
		BalancerTestProperties.register(registry, backend);
	}

	@AfterAll
	static void stopBackend() {
		backend.disposeNow();
	}

	static boolean ioUringAvailable() {
		return IoUring.isAvailable();
	}

	@LocalServerPort
	int port;

	@Autowired
	LargestReads largestReads;

	@Test
	void anUploadIsReceivedFromTheClientInPiecesOfAtMost16Kb() {
		String reply = HttpClient.create()
			.put()
			.uri("http://127.0.0.1:" + this.port + "/upload")
			.send(Mono.fromSupplier(() -> Unpooled.wrappedBuffer(new byte[ONE_MB])))
			.responseContent()
			.aggregate()
			.asString()
			.block(PATIENCE);

		assertThat(reply).isEqualTo("received " + ONE_MB);
		assertThat(this.largestReads.client.get()).isPositive().isLessThanOrEqualTo(ReceiveBuffers.IO_URING_MAXIMUM);
	}

	@Test
	void aDownloadIsReceivedFromTheBackendInPiecesOfAtMost16Kb() {
		Integer length = HttpClient.create()
			.get()
			.uri("http://127.0.0.1:" + this.port + "/download")
			.responseContent()
			.aggregate()
			.map(ByteBuf::readableBytes)
			.block(PATIENCE);

		assertThat(length).isEqualTo(ONE_MB);
		assertThat(this.largestReads.backend.get()).isPositive().isLessThanOrEqualTo(ReceiveBuffers.IO_URING_MAXIMUM);
	}

	/** The largest buffer each side of the balancer has received into, as Netty took it for the read. */
	static final class LargestReads {

		final AtomicInteger client = new AtomicInteger();

		final AtomicInteger backend = new AtomicInteger();

		static void record(Channel channel, AtomicInteger largest) {
			channel.pipeline().addFirst("largest-read", new Recorder(largest));
		}

	}

	private static final class Recorder extends ChannelInboundHandlerAdapter {

		private final AtomicInteger largest;

		Recorder(AtomicInteger largest) {
			this.largest = largest;
		}

		@Override
		public void channelRead(ChannelHandlerContext ctx, Object msg) {
			if (msg instanceof ByteBuf read) {
				this.largest.accumulateAndGet(read.capacity(), Math::max);
			}
			ctx.fireChannelRead(msg);
		}

	}

	@TestConfiguration(proxyBeanMethods = false)
	static class Recording {

		@Bean
		LargestReads largestReads() {
			return new LargestReads();
		}

		@Bean
		NettyServerCustomizer recordClientReads(LargestReads reads) {
			return (server) -> server
				.doOnChannelInit((observer, channel, address) -> LargestReads.record(channel, reads.client));
		}

		@Bean
		HttpClientCustomizer recordBackendReads(LargestReads reads) {
			return (client) -> client
				.doOnChannelInit((observer, channel, address) -> LargestReads.record(channel, reads.backend));
		}

	}

}
