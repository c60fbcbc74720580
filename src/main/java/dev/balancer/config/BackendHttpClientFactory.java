package dev.balancer.config;

import java.util.List;

import reactor.netty.resources.ConnectionProvider;

import dev.balancer.routing.EventLoopAffineConnectionProvider;

import org.springframework.boot.web.server.autoconfigure.ServerProperties;
import org.springframework.cloud.gateway.config.HttpClientCustomizer;
import org.springframework.cloud.gateway.config.HttpClientFactory;
import org.springframework.cloud.gateway.config.HttpClientProperties;
import org.springframework.cloud.gateway.config.HttpClientSslConfigurer;

/**
 * The gateway's HTTP client to the backends, with its default elastic connection pool split per event loop
 * ({@link EventLoopAffineConnectionProvider}). Every
 * {@code spring.cloud.gateway.server.webflux.httpclient.*} property keeps its meaning; a {@code fixed} pool or
 * none ({@code disabled}) is left as the gateway builds it, since splitting it would multiply
 * {@code max-connections}.
 */
class BackendHttpClientFactory extends HttpClientFactory {

	BackendHttpClientFactory(HttpClientProperties properties, ServerProperties serverProperties,
			HttpClientSslConfigurer sslConfigurer, List<HttpClientCustomizer> customizers) {
		super(properties, serverProperties, sslConfigurer, customizers);
	}

	@Override
	protected ConnectionProvider buildConnectionProvider(HttpClientProperties properties) {
		ConnectionProvider gatewayPool = super.buildConnectionProvider(properties);
		if (properties.getPool().getType() != HttpClientProperties.Pool.PoolType.ELASTIC) {
			return gatewayPool;
		}
		String name = gatewayPool.name();
		// Same settings as the gateway's pool. The shared pool keeps the configured name, the event loops' pools
		// get a suffix, so that pool metrics (pool.metrics=true) keep them apart.
		return new EventLoopAffineConnectionProvider(
				(index) -> gatewayPool.mutate().name((index == 0) ? name : name + "-" + index).build());
	}

}
