package dev.balancer.config;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import io.netty.channel.ChannelHandler;
import reactor.netty.Connection;

import org.springframework.boot.reactor.netty.NettyServerCustomizer;
import org.springframework.boot.test.context.TestConfiguration;
import org.springframework.cloud.gateway.config.HttpClientCustomizer;
import org.springframework.context.annotation.Bean;

/**
 * The handlers of every client and backend connection of a test's balancer, head first, as each was opened.
 * A test imports {@link Recording} and autowires this.
 */
final class OpenedConnections {

	final List<List<ChannelHandler>> client = new CopyOnWriteArrayList<>();

	final List<List<ChannelHandler>> backend = new CopyOnWriteArrayList<>();

	private static List<ChannelHandler> handlers(Connection connection) {
		return List.copyOf(connection.channel().pipeline().toMap().values());
	}

	@TestConfiguration(proxyBeanMethods = false)
	static class Recording {

		@Bean
		OpenedConnections openedConnections() {
			return new OpenedConnections();
		}

		@Bean
		NettyServerCustomizer recordClientConnections(OpenedConnections opened) {
			return (server) -> server.doOnConnection((connection) -> opened.client.add(handlers(connection)));
		}

		@Bean
		HttpClientCustomizer recordBackendConnections(OpenedConnections opened) {
			return (client) -> client.doOnConnected((connection) -> opened.backend.add(handlers(connection)));
		}

	}

}
