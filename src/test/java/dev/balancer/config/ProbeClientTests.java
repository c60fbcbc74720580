package dev.balancer.config;

import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.UnaryOperator;

import io.netty.channel.ChannelOption;
import io.netty.channel.uring.IoUring;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIf;
import reactor.netty.http.client.HttpClient;
import reactor.netty.resources.LoopResources;

import dev.balancer.config.BalancerProperties.Transport;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The health probes' client: the gateway's TLS settings on every transport, and on io_uring the receive buffers
 * that survive running out of buffer memory, as on the serving loops.
 */
class ProbeClientTests {

	@Test
	@EnabledIf("ioUringAvailable")
	void onIoUringProbesReceiveIntoBuffersThatSurviveRunningOutOfMemory() {
		Object allocator = receiveBuffersOfAProbeOn(Transport.IO_URING);

		assertThat(allocator).isInstanceOf(ReceiveBuffers.SparingWhenOutOfMemory.class);
	}

	@Test
	void onNioProbesKeepNettysReceiveBuffers() {
		assertThat(receiveBuffersOfAProbeOn(Transport.NIO)).isNull();
	}

	@Test
	void theGatewaysTlsSettingsAreApplied() {
		AtomicBoolean applied = new AtomicBoolean();
		UnaryOperator<HttpClient> tls = (client) -> {
			applied.set(true);
			return client;
		};

		probeClientOn(Transport.NIO, tls);

		assertThat(applied).isTrue();
	}

	private static Object receiveBuffersOfAProbeOn(Transport transport) {
		return probeClientOn(transport, UnaryOperator.identity()).configuration()
			.options()
			.get(ChannelOption.RCVBUF_ALLOCATOR);
	}

	/** The probes' client as the balancer builds it beside serving loops on the given transport. */
	private static HttpClient probeClientOn(Transport transport, UnaryOperator<HttpClient> tls) {
		LoopResources serving = TransportLoopResources.create(transport);
		ProbeLoopResources probeLoop = new ProbeLoopResources(serving);
		try {
			return BalancerConfiguration.probeClient(tls, probeLoop).apply(HttpClient.create());
		}
		finally {
			probeLoop.dispose();
			serving.dispose();
		}
	}

	static boolean ioUringAvailable() {
		return IoUring.isAvailable();
	}

}
