package dev.balancer.config;

import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import reactor.netty.resources.LoopResources;

import dev.balancer.health.BackendHealthRegistry;

import org.springframework.boot.web.server.context.WebServerApplicationContext;
import org.springframework.boot.web.server.context.WebServerInitializedEvent;
import org.springframework.cloud.client.ServiceInstance;
import org.springframework.context.ApplicationListener;
import org.springframework.http.client.ReactorResourceFactory;

/**
 * The seed's start-up lines: one {@code Configured backend: <url>} per backend, then the port it listens on, last
 * (tools wait for it); before it, the network transport.
 */
class StartupLog implements ApplicationListener<WebServerInitializedEvent> {

	private static final Log logger = LogFactory.getLog("dev.balancer");

	private final BackendHealthRegistry registry;

	private final ReactorResourceFactory netty;

	StartupLog(BackendHealthRegistry registry, ReactorResourceFactory netty) {
		this.registry = registry;
		this.netty = netty;
	}

	@Override
	public void onApplicationEvent(WebServerInitializedEvent event) {
		WebServerApplicationContext context = event.getApplicationContext();
		if (context.getServerNamespace() != null) {
			return; // the management server
		}
		for (ServiceInstance backend : this.registry.backends()) {
			logger.info("Configured backend: " + backend.getInstanceId());
		}
		LoopResources loops = this.netty.getLoopResources();
		int serving = TransportLoopResources.servingLoops(loops);
		logger.info("Network transport: " + TransportLoopResources.describe(loops) + ", " + serving + " event loop"
				+ ((serving != 1) ? "s" : "") + " serving clients");
		logger.info("Load balancer started at :" + event.getWebServer().getPort());
	}

}
