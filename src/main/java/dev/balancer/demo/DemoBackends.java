package dev.balancer.demo;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;

import dev.balancer.config.BalancerProperties;

import org.springframework.context.SmartLifecycle;
import org.springframework.context.annotation.Profile;
import org.springframework.stereotype.Component;

/**
 * Profile {@code demo}: starts a {@link DemoBackend} in this process for every configured backend on this
 * machine, before the balancer takes traffic, so that one command shows the whole rotation.
 */
@Component
@Profile("demo")
class DemoBackends implements SmartLifecycle {

	private static final Log logger = LogFactory.getLog(DemoBackends.class);

	private static final Set<String> LOCAL_HOSTS = Set.of("localhost", "127.0.0.1", "[::1]");

	private final BalancerProperties properties;

	private final List<DemoBackend> running = new ArrayList<>();

	DemoBackends(BalancerProperties properties) {
		this.properties = properties;
	}

	@Override
	public synchronized void start() {
		for (BalancerProperties.Backend backend : this.properties.backends()) {
			URI url = backend.url();
			if ("http".equals(url.getScheme()) && LOCAL_HOSTS.contains(url.getHost()) && url.getPort() > 0) {
				try {
					this.running.add(DemoBackend.start(url.getPort()));
					logger.info("Demo backend started at :" + url.getPort());
				}
				catch (IOException ex) {
					throw new UncheckedIOException("Cannot start the demo backend on port " + url.getPort()
							+ " (is something else listening there?)", ex);
				}
			}
		}
	}

	@Override
	public synchronized void stop() {
		this.running.forEach(DemoBackend::stop);
		this.running.clear();
	}

	@Override
	public synchronized boolean isRunning() {
		return !this.running.isEmpty();
	}

	@Override
	public int getPhase() {
		// Before the web server (which starts late), so the first health check already finds the backends.
		return Integer.MIN_VALUE + 1000;
	}

}
