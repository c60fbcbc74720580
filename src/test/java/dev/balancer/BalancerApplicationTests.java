package dev.balancer;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import reactor.netty.ReactorNetty;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The Netty and Reactor Netty settings the balancer starts with, and the operator's own {@code -D} winning over them.
 */
class BalancerApplicationTests {

	private static final String KEY = "balancer.test.setting";

	@AfterEach
	void clear() {
		System.clearProperty(KEY);
	}

	@Test
	void nettyAndReactorNettyAreSetUpAsTheBalancerNeeds() throws ClassNotFoundException {
		Class.forName(BalancerApplication.class.getName()); // its settings are made when it loads

		assertThat(System.getProperty(ReactorNetty.REACTOR_NETTY_SEND_MAX_PREFETCH_SIZE)).isEqualTo("16");
		assertThat(System.getProperty("reactor.netty.http.server.lastFlushWhenNoRead")).isEqualTo("true");
		assertThat(System.getProperty("io.netty.iouring.pollAddMultishotEnabled")).isEqualTo("false");
	}

	@Test
	void aSettingIsMadeWhereTheOperatorGaveNone() {
		BalancerApplication.setUnlessGiven(KEY, "16");

		assertThat(System.getProperty(KEY)).isEqualTo("16");
	}

	@Test
	void theOperatorsOwnSettingWins() {
		System.setProperty(KEY, "64");

		BalancerApplication.setUnlessGiven(KEY, "16");

		assertThat(System.getProperty(KEY)).isEqualTo("64");
	}

}
