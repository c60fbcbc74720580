package dev.balancer.config;

import java.security.cert.X509Certificate;
import java.util.Set;
import java.util.TreeSet;

import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.jspecify.annotations.Nullable;
import reactor.netty.resources.LoopResources;

import dev.balancer.health.BackendHealthRegistry;

import org.springframework.boot.autoconfigure.ssl.SslBundleProperties;
import org.springframework.boot.autoconfigure.ssl.SslProperties;
import org.springframework.boot.context.properties.source.ConfigurationPropertyName;
import org.springframework.boot.context.properties.source.ConfigurationPropertySource;
import org.springframework.boot.context.properties.source.ConfigurationPropertySources;
import org.springframework.boot.context.properties.source.IterableConfigurationPropertySource;
import org.springframework.boot.ssl.SslBundles;
import org.springframework.boot.web.server.Ssl;
import org.springframework.boot.web.server.WebServerSslBundle;
import org.springframework.boot.web.server.context.WebServerApplicationContext;
import org.springframework.boot.web.server.context.WebServerInitializedEvent;
import org.springframework.cloud.client.ServiceInstance;
import org.springframework.context.ApplicationListener;
import org.springframework.core.env.Environment;
import org.springframework.http.client.ReactorResourceFactory;
import org.springframework.util.StringUtils;

/**
 * The seed's start-up lines: one {@code Configured backend: <url>} per backend, then the port it listens on, last
 * (tools wait for it); before it, the network transport and, with TLS on, the certificate clients get. First, a
 * warning for each setting Spring Cloud Gateway ignores because it is written under the prefix it had before version
 * 5.
 */
class StartupLog implements ApplicationListener<WebServerInitializedEvent> {

	private static final Log logger = LogFactory.getLog("dev.balancer");

	static final String RETIRED_GATEWAY_PREFIX = "spring.cloud.gateway.";

	private final BackendHealthRegistry registry;

	private final ReactorResourceFactory netty;

	private final @Nullable Ssl clientTls;

	private final SslBundles bundles;

	private final SslProperties sslProperties;

	StartupLog(BackendHealthRegistry registry, ReactorResourceFactory netty, @Nullable Ssl clientTls,
			SslBundles bundles, SslProperties sslProperties) {
		this.registry = registry;
		this.netty = netty;
		this.clientTls = clientTls;
		this.bundles = bundles;
		this.sslProperties = sslProperties;
	}

	@Override
	public void onApplicationEvent(WebServerInitializedEvent event) {
		WebServerApplicationContext context = event.getApplicationContext();
		if (context.getServerNamespace() != null) {
			return; // the management server
		}
		for (String ignored : ignoredGatewayKeys(context.getEnvironment())) {
			logger.warn(ignored + " is ignored: Spring Cloud Gateway 5 reads " + RETIRED_GATEWAY_PREFIX
					+ "server.webflux." + ignored.substring(RETIRED_GATEWAY_PREFIX.length()) + " instead");
		}
		for (ServiceInstance backend : this.registry.backends()) {
			logger.info("Configured backend: " + backend.getInstanceId());
		}
		LoopResources loops = this.netty.getLoopResources();
		int serving = TransportLoopResources.servingLoops(loops);
		logger.info("Network transport: " + TransportLoopResources.describe(loops) + ", " + serving + " event loop"
				+ ((serving != 1) ? "s" : "") + " serving clients");
		logClientTls();
		logger.info("Load balancer started at :" + event.getWebServer().getPort());
	}

	/**
	 * The certificate clients get, and when it expires; a bundle's certificate again each time Spring Boot reloads
	 * it. The reload is logged by a handler added after the server's own, which is called only when the server took
	 * the new certificate ({@link TlsSettingsCheck} refuses one that cannot work, and logs that).
	 */
	private void logClientTls() {
		Ssl ssl = this.clientTls;
		if (!Ssl.isEnabled(ssl)) {
			return;
		}
		X509Certificate certificate = ServedCertificate.of(WebServerSslBundle.get(ssl, this.bundles));
		String bundle = ssl.getBundle();
		boolean reloaded = StringUtils.hasText(bundle) && reloadsOnUpdate(bundle);
		String line = "Clients connect over TLS: certificate "
				+ ((certificate != null) ? ServedCertificate.describe(certificate) : "(none found)")
				+ (reloaded ? "; reloaded when the files of bundle " + bundle + " change" : "");
		if (certificate != null && ServedCertificate.isExpired(certificate)) {
			logger.warn(line);
		}
		else {
			logger.info(line);
		}
		if (reloaded) {
			this.bundles.addBundleUpdateHandler(bundle, (updated) -> {
				X509Certificate now = ServedCertificate.of(updated);
				logger.info("TLS certificate for clients reloaded: "
						+ ((now != null) ? ServedCertificate.describe(now) : "(none found)"));
			});
		}
	}

	private boolean reloadsOnUpdate(String bundle) {
		SslProperties.Bundles bundles = this.sslProperties.getBundle();
		SslBundleProperties properties = bundles.getPem().containsKey(bundle) ? bundles.getPem().get(bundle)
				: bundles.getJks().get(bundle);
		return properties != null && properties.isReloadOnUpdate();
	}

	/**
	 * The settings under {@code spring.cloud.gateway.} but not {@code spring.cloud.gateway.server.}: Spring Cloud
	 * Gateway 5 moved every one of its settings to {@code spring.cloud.gateway.server.webflux.*} and reads nothing
	 * under the old prefix, without a word. Settings copied from older guides (the connection pool's, say) would
	 * otherwise seem to be in force. Not a failure: a configuration shared by several services may hold them.
	 */
	static Set<String> ignoredGatewayKeys(Environment environment) {
		Set<String> ignored = new TreeSet<>();
		for (ConfigurationPropertySource source : ConfigurationPropertySources.get(environment)) {
			if (source instanceof IterableConfigurationPropertySource iterable) {
				iterable.stream()
					.map(ConfigurationPropertyName::toString)
					.filter((name) -> name.startsWith(RETIRED_GATEWAY_PREFIX)
							&& !name.startsWith(RETIRED_GATEWAY_PREFIX + "server."))
					.forEach(ignored::add);
			}
		}
		return ignored;
	}

}
