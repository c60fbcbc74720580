package dev.balancer.config;

import java.util.ArrayList;

import org.junit.jupiter.api.Test;
import reactor.netty.http.client.HttpClient;
import reactor.netty.resources.ConnectionProvider;

import dev.balancer.routing.EventLoopAffineConnectionProvider;

import org.springframework.boot.web.server.autoconfigure.ServerProperties;
import org.springframework.cloud.gateway.config.HttpClientProperties;
import org.springframework.cloud.gateway.config.HttpClientProperties.Pool.PoolType;
import org.springframework.cloud.gateway.config.HttpClientSslConfigurer;

import static org.assertj.core.api.Assertions.assertThat;

class BackendHttpClientFactoryTests {

	@Test
	void splitsTheDefaultElasticPoolPerEventLoop() throws Exception {
		HttpClientProperties properties = new HttpClientProperties();

		assertThat(pool(properties)).isInstanceOf(EventLoopAffineConnectionProvider.class);
	}

	@Test
	void leavesAFixedPoolWhole() throws Exception {
		HttpClientProperties properties = new HttpClientProperties();
		properties.getPool().setType(PoolType.FIXED);
		properties.getPool().setMaxConnections(50);

		ConnectionProvider pool = pool(properties);

		assertThat(pool).isNotInstanceOf(EventLoopAffineConnectionProvider.class);
		assertThat(pool.maxConnections()).isEqualTo(50);
	}

	@Test
	void keepsThePoolNameOfTheGatewayProperties() throws Exception {
		HttpClientProperties properties = new HttpClientProperties();
		properties.getPool().setName("backends");

		assertThat(pool(properties).name()).isEqualTo("backends");
	}

	private static ConnectionProvider pool(HttpClientProperties properties) throws Exception {
		ServerProperties server = new ServerProperties();
		HttpClientSslConfigurer ssl = new HttpClientSslConfigurer(properties.getSsl(), server, null) {
		};
		BackendHttpClientFactory factory = new BackendHttpClientFactory(properties, server, ssl, new ArrayList<>());
		factory.afterPropertiesSet();
		HttpClient client = factory.getObject();
		return client.configuration().connectionProvider();
	}

}
