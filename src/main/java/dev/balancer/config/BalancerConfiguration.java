package dev.balancer.config;

import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;
import java.util.function.UnaryOperator;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.netty.channel.ChannelOption;
import io.netty.channel.RecvByteBufAllocator;
import io.netty.handler.ssl.SslHandler;
import reactor.netty.http.client.HttpClient;
import reactor.netty.resources.LoopResources;
import tools.jackson.databind.json.JsonMapper;

import dev.balancer.health.ActiveHealthChecker;
import dev.balancer.health.BackendHealthRegistry;
import dev.balancer.health.BalancerHealthIndicator;
import dev.balancer.health.HttpBackendProbe;
import dev.balancer.health.OutlierDetector;
import dev.balancer.health.PanicMode;
import dev.balancer.health.PassiveHealthLifecycle;
import dev.balancer.health.StatusRange;
import dev.balancer.metrics.BackendMetrics;
import dev.balancer.metrics.BoundedMethodTagsProvider;
import dev.balancer.metrics.BufferMemory;
import dev.balancer.metrics.ClientErrors;
import dev.balancer.metrics.TimedBackendProbe;
import dev.balancer.routing.AddressRange;
import dev.balancer.routing.BackendAccessLog;
import dev.balancer.routing.BackendRedirectsFilter;
import dev.balancer.routing.BackendResponseHeads;
import dev.balancer.routing.Backends;
import dev.balancer.routing.BrokenResponseFilter;
import dev.balancer.routing.ClientAddressFilter;
import dev.balancer.routing.ClientRequestHeads;
import dev.balancer.routing.ConnectionLimit;
import dev.balancer.routing.DrainDeadline;
import dev.balancer.routing.DrainingResponsesFilter;
import dev.balancer.routing.ExactRequestUrlFilter;
import dev.balancer.routing.ExactUrlLoadBalancerClientFilter;
import dev.balancer.routing.FailoverFilter;
import dev.balancer.routing.ForwardingHeadersFilter;
import dev.balancer.routing.H2cUpgradeRequests;
import dev.balancer.routing.InFlightReleaseFilter;
import dev.balancer.routing.InFlightRequests;
import dev.balancer.routing.LeanGrpcRequestHeadersFilter;
import dev.balancer.routing.LeanHopByHopHeadersFilter;
import dev.balancer.routing.LeanNettyRoutingFilter;
import dev.balancer.routing.OpenWebSocketSessions;
import dev.balancer.routing.PlainRequestsOnTlsPort;
import dev.balancer.routing.ReplayMemory;
import dev.balancer.routing.ResponseTimeoutFilter;
import dev.balancer.routing.RetryBudget;
import dev.balancer.routing.RouteListHandlerMapping;
import dev.balancer.routing.SingleWriteResponseFilter;
import dev.balancer.routing.StickySessionFilter;
import dev.balancer.routing.StickySessions;
import dev.balancer.routing.Stopping;
import dev.balancer.routing.TlsHandshakeFailures;
import dev.balancer.routing.WebSocketHandshakeCheck;
import dev.balancer.routing.WebSocketProxyFilter;
import dev.balancer.web.JsonErrorHandler;

import org.springframework.beans.factory.ObjectProvider;
import org.springframework.beans.factory.config.BeanPostProcessor;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBooleanProperty;
import org.springframework.boot.autoconfigure.ssl.SslBundleRegistrar;
import org.springframework.boot.autoconfigure.ssl.SslProperties;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.reactor.netty.NettyReactiveWebServerFactory;
import org.springframework.boot.reactor.netty.NettyServerCustomizer;
import org.springframework.boot.reactor.netty.autoconfigure.NettyServerProperties;
import org.springframework.boot.reactor.netty.autoconfigure.ReactorNettyProperties;
import org.springframework.boot.ssl.SslBundles;
import org.springframework.boot.web.server.WebServerFactoryCustomizer;
import org.springframework.boot.web.server.autoconfigure.ServerProperties;
import org.springframework.cloud.client.ServiceInstance;
import org.springframework.cloud.client.loadbalancer.LoadBalancerClientsProperties;
import org.springframework.cloud.gateway.config.GatewayLoadBalancerProperties;
import org.springframework.cloud.gateway.config.GlobalCorsProperties;
import org.springframework.cloud.gateway.config.HttpClientCustomizer;
import org.springframework.cloud.gateway.config.HttpClientFactory;
import org.springframework.cloud.gateway.config.HttpClientProperties;
import org.springframework.cloud.gateway.config.HttpClientSslConfigurer;
import org.springframework.cloud.gateway.filter.GatewayFilter;
import org.springframework.cloud.gateway.filter.NettyRoutingFilter;
import org.springframework.cloud.gateway.filter.RouteToRequestUrlFilter;
import org.springframework.cloud.gateway.filter.WebsocketRoutingFilter;
import org.springframework.cloud.gateway.filter.factory.PreserveHostHeaderGatewayFilterFactory;
import org.springframework.cloud.gateway.filter.headers.GRPCRequestHeadersFilter;
import org.springframework.cloud.gateway.filter.headers.HttpHeadersFilter;
import org.springframework.cloud.gateway.filter.headers.RemoveHopByHopHeadersFilter;
import org.springframework.cloud.gateway.handler.FilteringWebHandler;
import org.springframework.cloud.gateway.route.RouteLocator;
import org.springframework.cloud.gateway.route.builder.RouteLocatorBuilder;
import org.springframework.cloud.gateway.support.RouteMetadataUtils;
import org.springframework.cloud.gateway.support.tagsprovider.GatewayHttpTagsProvider;
import org.springframework.cloud.loadbalancer.annotation.LoadBalancerClient;
import org.springframework.cloud.loadbalancer.annotation.LoadBalancerClientSpecification;
import org.springframework.cloud.loadbalancer.support.LoadBalancerClientFactory;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.Ordered;
import org.springframework.core.env.Environment;
import org.springframework.http.client.ReactorResourceFactory;
import org.springframework.scheduling.annotation.EnableScheduling;
import org.springframework.web.reactive.accept.ApiVersionStrategy;
import org.springframework.web.reactive.socket.client.WebSocketClient;
import org.springframework.web.reactive.socket.server.WebSocketService;

/**
 * Wires the balancer into Spring Cloud Gateway: one catch-all route to {@code lb://backends}, the health of the
 * backends, failover and metrics. The per-service load-balancer beans live in
 * {@link BackendLoadBalancerConfiguration}.
 */
@Configuration(proxyBeanMethods = false)
@EnableScheduling
@EnableConfigurationProperties(BalancerProperties.class)
@LoadBalancerClient(name = Backends.SERVICE_ID, configuration = BackendLoadBalancerConfiguration.class)
class BalancerConfiguration {

	/** Route id of the catch-all route. */
	static final String ROUTE_ID = "balancer";

	/** How long the event loops get to stop once the drain is over. */
	static final Duration LOOPS_SHUTDOWN_TIMEOUT = Duration.ofSeconds(5);

	@Bean
	BackendHealthRegistry backendHealthRegistry(BalancerProperties properties) {
		BalancerProperties.HealthCheck check = properties.healthCheck();
		return new BackendHealthRegistry(Backends.instances(properties), Clock.systemUTC(), check.healthyThreshold(),
				check.unhealthyThreshold());
	}

	@Bean(destroyMethod = "dispose")
	ProbeLoopResources probeLoopResources(ReactorResourceFactory netty) {
		return new ProbeLoopResources(netty.getLoopResources());
	}

	@Bean
	ActiveHealthChecker activeHealthChecker(BackendHealthRegistry registry, BalancerProperties properties,
			ProbeLoopResources probeLoop, HttpClientSslConfigurer backendTls, MeterRegistry meters) {
		BalancerProperties.HealthCheck check = properties.healthCheck();
		HttpBackendProbe probe = new HttpBackendProbe(check.path(), check.timeout(),
				StatusRange.parseAll(check.expectedStatuses()), check.host(), probeLoop,
				probeClient(backendTls::configureSsl, probeLoop));
		return new ActiveHealthChecker(registry, new TimedBackendProbe(probe, registry.backends(), meters),
				check.interval());
	}

	/**
	 * The probes' client: the gateway's TLS settings, and on io_uring the balancer's receive buffers, without which
	 * a receive that finds no buffer memory would stop the probes' loop and with it every probe
	 * ({@link ReceiveBuffers}).
	 */
	static UnaryOperator<HttpClient> probeClient(UnaryOperator<HttpClient> tls, LoopResources probeLoop) {
		return (client) -> ReceiveBuffers.on(tls.apply(client), probeLoop);
	}

	@Bean
	HealthCheckSchedule healthCheckSchedule(ActiveHealthChecker activeHealthChecker, BalancerProperties properties) {
		return new HealthCheckSchedule(activeHealthChecker, properties.healthCheck().effectiveJitter());
	}

	@Bean
	PassiveHealthLifecycle passiveHealthLifecycle(BackendHealthRegistry registry) {
		return new PassiveHealthLifecycle(registry);
	}

	@Bean
	@ConditionalOnBooleanProperty(name = "balancer.outlier-detection.enabled", matchIfMissing = true)
	OutlierDetector outlierDetector(BackendHealthRegistry registry, BalancerProperties properties,
			MeterRegistry meters, Stopping stopping) {
		BalancerProperties.OutlierDetection outliers = properties.outlierDetection();
		OutlierDetector.Settings settings = new OutlierDetector.Settings(outliers.consecutiveErrors(),
				outliers.baseEjectionTime(), outliers.maxEjectionTime(), outliers.maxEjectionPercent());
		return new OutlierDetector(registry.backends(), registry::isUp, settings, Clock.systemUTC(), meters, stopping);
	}

	@Bean
	PanicMode panicMode(BackendHealthRegistry registry, BalancerProperties properties, MeterRegistry meters,
			ObjectProvider<OutlierDetector> outlierDetector) {
		BalancerProperties.Panic panic = properties.panic();
		OutlierDetector outliers = outlierDetector.getIfAvailable();
		// what the load balancer's instance list supplier offers, before panic (BackendLoadBalancerConfiguration)
		Supplier<List<ServiceInstance>> available = (outliers != null)
				? () -> outliers.available(registry.healthy()) : registry::healthy;
		return new PanicMode(registry.backends(), panic.threshold(),
				panic.mode() == BalancerProperties.PanicMode.ALL, meters, available);
	}

	@Bean
	BalancerHealthIndicator balancerHealthIndicator(BackendHealthRegistry registry,
			ObjectProvider<OutlierDetector> outlierDetector, PanicMode panicMode) {
		return new BalancerHealthIndicator(registry, outlierDetector.getIfAvailable(), panicMode);
	}

	/** Netty's buffer memory and the times it ran out, as metrics ({@link BufferMemory}). */
	@Bean
	BufferMemory bufferMemory() {
		return new BufferMemory();
	}

	/** Client requests and connections refused before any backend was tried, as a metric ({@link ClientErrors}). */
	@Bean
	ClientErrors clientErrors() {
		return new ClientErrors();
	}

	@Bean
	BackendMetrics backendMetrics(BackendHealthRegistry registry, InFlightRequests inFlight, MeterRegistry meters) {
		return new BackendMetrics(registry, inFlight, meters);
	}

	@Bean
	InFlightRequests inFlightRequests(BackendHealthRegistry registry) {
		return new InFlightRequests(registry.backends());
	}

	@Bean
	@ConditionalOnBooleanProperty("balancer.sticky-session.enabled")
	StickySessions stickySessions(BackendHealthRegistry registry, BalancerProperties properties) {
		BalancerProperties.StickySession sticky = properties.stickySession();
		return new StickySessions(registry.backends(), sticky.cookieName(), sticky.maxAge(),
				sticky.sameSite().attribute());
	}

	@Bean
	RetryBudget retryBudget(BalancerProperties properties) {
		BalancerProperties.Budget budget = properties.retry().budget();
		return new RetryBudget(budget.percent(), budget.minRetriesPerSecond(), Clock.systemUTC());
	}

	@Bean
	FailoverFilter failoverFilter(BalancerProperties properties, RetryBudget retryBudget, MeterRegistry meters,
			Stopping stopping, PanicMode panic) {
		BalancerProperties.Retry retry = properties.retry();
		FailoverFilter.Settings settings = new FailoverFilter.Settings(retry.attempts(),
				retry.bodyBufferSize().toBytes(), retry.backoff().base(), retry.backoff().max(),
				properties.timeouts().request(), properties.debugHeaders(), properties.accessLog().enabled());
		ReplayMemory replayMemory = new ReplayMemory(retry.effectiveBodyBufferTotal()).registerWith(meters);
		return new FailoverFilter(settings, retryBudget, replayMemory, meters, stopping, panic::backendsNow);
	}

	/**
	 * The gateway's hop-by-hop and gRPC request headers filters give way to ones with the same rules at less cost,
	 * its route-to-URL filter to one that keeps the client's path and query as sent, its WebSocket filter to one that
	 * also asks the backend before it answers the client ({@link WebSocketProxyFilter}), and its routing
	 * filter to one that copies headers once each way; its request metric's HTTP tags to ones whose method tag is
	 * bounded. (The gateway declares these beans unconditionally.)
	 */
	@Bean
	static BeanPostProcessor replacedGatewayFilters(ObjectProvider<HttpClient> httpClient,
			ObjectProvider<List<HttpHeadersFilter>> headersFilters, ObjectProvider<HttpClientProperties> properties,
			ObjectProvider<WebSocketClient> webSocketClient, ObjectProvider<WebSocketService> webSocketService,
			ObjectProvider<OpenWebSocketSessions> webSocketSessions) {
		return new BeanPostProcessor() {
			@Override
			public Object postProcessAfterInitialization(Object bean, String beanName) {
				if (bean.getClass() == NettyRoutingFilter.class) {
					return new LeanNettyRoutingFilter(httpClient.getObject(), headersFilters, properties.getObject());
				}
				if (bean.getClass() == RemoveHopByHopHeadersFilter.class) {
					return new LeanHopByHopHeadersFilter((RemoveHopByHopHeadersFilter) bean);
				}
				if (bean.getClass() == RouteToRequestUrlFilter.class) {
					return new ExactRequestUrlFilter();
				}
				if (bean.getClass() == WebsocketRoutingFilter.class) {
					return new WebSocketProxyFilter((WebsocketRoutingFilter) bean, webSocketClient.getObject(),
							webSocketService.getObject(), headersFilters, webSocketSessions.getObject());
				}
				if (bean.getClass() == GatewayHttpTagsProvider.class) {
					return new BoundedMethodTagsProvider();
				}
				return (bean.getClass() == GRPCRequestHeadersFilter.class) ? new LeanGrpcRequestHeadersFilter() : bean;
			}
		};
	}

	/** The gateway's load-balancer filter, keeping the client's path and query as sent to the chosen backend. */
	@Bean
	ExactUrlLoadBalancerClientFilter gatewayLoadBalancerClientFilter(LoadBalancerClientFactory clientFactory,
			GatewayLoadBalancerProperties properties) {
		return new ExactUrlLoadBalancerClientFilter(clientFactory, properties);
	}

	/**
	 * The event loops of the server, the backend connections and the health probes, on the transport
	 * {@code balancer.transport} names. It replaces Spring Boot's factory, which shares Reactor Netty's global
	 * loops, and takes the same {@code spring.reactor.netty.shutdown-quiet-period}. The loops get
	 * {@link #LOOPS_SHUTDOWN_TIMEOUT} to stop, not Reactor Netty's 15 s: they stop after the drain, with little
	 * left to do, and a stuck one ({@link BalancerResourceFactory}) must not keep the process past Kubernetes' grace
	 * period (config/kubernetes/deployment.yaml).
	 */
	@Bean
	ReactorResourceFactory reactorResourceFactory(BalancerProperties properties, ReactorNettyProperties netty,
			Stopping stopping) {
		Duration quietPeriod = (netty.getShutdownQuietPeriod() != null) ? netty.getShutdownQuietPeriod()
				: Duration.ofSeconds(LoopResources.DEFAULT_SHUTDOWN_QUIET_PERIOD);
		BalancerResourceFactory factory = new BalancerResourceFactory(stopping, quietPeriod, LOOPS_SHUTDOWN_TIMEOUT);
		factory.setLoopResourcesSupplier(() -> TransportLoopResources.create(properties.transport()));
		return factory;
	}

	/** The WebSocket sessions open through the balancer, closed with 1001 when it stops. */
	@Bean
	OpenWebSocketSessions openWebSocketSessions() {
		return new OpenWebSocketSessions();
	}

	/** WebSocket handshakes the balancer refuses, refused before the load balancer's pick. */
	@Bean
	WebSocketHandshakeCheck webSocketHandshakeCheck(OpenWebSocketSessions sessions) {
		return new WebSocketHandshakeCheck(sessions);
	}

	/** Whether the event loops are stopping ({@link Stopping}), for the filters that answer requests failed by it. */
	@Bean
	Stopping stopping() {
		return new Stopping();
	}

	/**
	 * At most {@code balancer.max-connections} client connections ({@link ConnectionLimit}): a customizer of the
	 * proxy's server factory alone, where a {@code NettyServerCustomizer} bean would limit the management server too.
	 */
	@Bean
	WebServerFactoryCustomizer<NettyReactiveWebServerFactory> connectionLimitCustomizer(ConnectionLimit limit) {
		return (factory) -> factory.addServerCustomizers(limit::apply);
	}

	/** The count of client connections, and its limit. */
	@Bean
	ConnectionLimit connectionLimit(BalancerProperties properties, MeterRegistry meters) {
		return new ConnectionLimit(properties.maxConnections()).registerWith(meters);
	}

	/** Requests still at work when the drain timeout ends get the 503 ({@link DrainDeadline}). */
	@Bean
	DrainDeadline drainDeadline(Stopping stopping, InFlightRequests inFlight, ConnectionLimit clients) {
		return new DrainDeadline(stopping, inFlight::total, clients::open);
	}

	/** Every backend connection is known to {@link DrainDeadline}, which closes them when the drain times out. */
	@Bean
	HttpClientCustomizer backendConnectionsForTheDrain(DrainDeadline drain) {
		return (client) -> client.doOnChannelInit((observer, channel, address) -> drain.opened(channel));
	}

	/** On io_uring, client connections receive into buffers of at most 16 KB ({@link ReceiveBuffers}). */
	@Bean
	NettyServerCustomizer clientReceiveBuffers(ReactorResourceFactory netty) {
		return (server) -> {
			RecvByteBufAllocator buffers = ReceiveBuffers.on(netty.getLoopResources());
			return (buffers != null) ? server.childOption(ChannelOption.RCVBUF_ALLOCATOR, buffers) : server;
		};
	}

	/** On io_uring, backend connections receive into buffers of at most 16 KB ({@link ReceiveBuffers}). */
	@Bean
	HttpClientCustomizer backendReceiveBuffers(ReactorResourceFactory netty) {
		return (client) -> ReceiveBuffers.on(client, netty.getLoopResources());
	}

	/** Client connections send their writes in batches ({@link BatchedFlushes}). */
	@Bean
	NettyServerCustomizer batchedClientFlushes() {
		return (server) -> server.doOnChannelInit(BatchedFlushes::install);
	}

	/**
	 * Reactor Netty's access log, with the backend and the attempts of each request ({@link BackendAccessLog}).
	 * Without {@code balancer.access-log.enabled}, Reactor Netty's own system property still turns on its plain log.
	 */
	@Bean
	@ConditionalOnBooleanProperty("balancer.access-log.enabled")
	NettyServerCustomizer backendAccessLog() {
		return (server) -> server.accessLog(true, BackendAccessLog::line)
			.childObserve(BackendAccessLog::installOnStream);
	}

	/**
	 * Requests asking to upgrade to h2c with a body the upgrade handler would refuse are served on HTTP/1.1
	 * ({@link H2cUpgradeRequests}).
	 */
	@Bean
	NettyServerCustomizer h2cUpgradeRequests(NettyServerProperties netty) {
		return (server) -> server
			.doOnChannelInit(H2cUpgradeRequests.installer(netty.getH2cMaxContentLength().toBytes()));
	}

	/**
	 * Plain HTTP sent to the port that takes TLS gets a 400 saying so ({@link PlainRequestsOnTlsPort}); a failed TLS
	 * handshake closes its connection without a WARN line ({@link TlsHandshakeFailures}).
	 */
	@Bean
	NettyServerCustomizer plainRequestsOnTlsPort() {
		return (server) -> server.doOnChannelInit(PlainRequestsOnTlsPort::install)
			.doOnChannelInit(TlsHandshakeFailures::install);
	}

	/**
	 * Client request heads, of HTTP/1.1 connections and HTTP/2 streams: targets encoded where needed, bad Host headers
	 * refused ({@link ClientRequestHeads}).
	 */
	@Bean
	NettyServerCustomizer clientRequestHeads() {
		return (server) -> server.doOnChannelInit(ClientRequestHeads::install)
			.childObserve(ClientRequestHeads::installOnStream);
	}

	/** Backend responses: 1xx skipped, invalid heads marked, silences cut off ({@link BackendResponseHeads}). */
	@Bean
	HttpClientCustomizer backendResponseHeads(BalancerProperties properties, MeterRegistry meters) {
		Counter readTimeouts = FailoverFilter.timeouts(meters, "read");
		Counter clientTimeouts = FailoverFilter.timeouts(meters, "client");
		return (client) -> client.doOnChannelInit(BackendResponseHeads.installer(properties.timeouts().read(),
				readTimeouts::increment, clientTimeouts::increment));
	}

	/** Backend connections send their writes in batches ({@link BatchedFlushes}). */
	@Bean
	HttpClientCustomizer batchedBackendFlushes() {
		return (client) -> client.doOnChannelInit(BatchedFlushes::install);
	}

	/** Connections to backends are opened on the loops that serve the clients. */
	@Bean
	HttpClientCustomizer backendEventLoops(ReactorResourceFactory netty) {
		return (httpClient) -> httpClient.runOn(netty.getLoopResources());
	}

	/**
	 * The gateway's client to the backends, built by the gateway's own factory, with its connection pool split
	 * per event loop ({@link BackendHttpClientFactory}), so that a request goes to its backend from the loop that
	 * read it. Measured at full load: 13-18% more requests per second on io_uring; on epoll 6-17% more once
	 * writes were flushed in batches, 3-16% fewer before (docs/performance-log.md, sixth and seventh rounds).
	 */
	@Bean
	HttpClientFactory backendHttpClientFactory(HttpClientProperties properties, ServerProperties serverProperties,
			List<HttpClientCustomizer> customizers, HttpClientSslConfigurer sslConfigurer) {
		return new BackendHttpClientFactory(properties, serverProperties, sslConfigurer, customizers);
	}

	/**
	 * {@code balancer.timeouts.connect} for every connection to a backend: to connect, and then for the TLS
	 * handshake with an {@code https} backend, as nginx's {@code proxy_connect_timeout} bounds both, unless
	 * {@code ...httpclient.ssl.handshake-timeout} is set. A backend that took the connection and then said nothing
	 * held each request for Reactor Netty's 10 s (the gateway's setting reaches the handshake only when it configures
	 * TLS itself) before it was retried elsewhere. The probes' handshakes are bounded by their own timeout.
	 */
	@Bean
	HttpClientCustomizer backendConnectTimeout(BalancerProperties properties, Environment environment) {
		int millis = (int) Math.min(properties.timeouts().connect().toMillis(), Integer.MAX_VALUE);
		boolean handshakeTimeoutSet = Binder.get(environment)
			.bind("spring.cloud.gateway.server.webflux.httpclient.ssl.handshake-timeout", Duration.class)
			.isBound();
		return (httpClient) -> {
			HttpClient connecting = httpClient.option(ChannelOption.CONNECT_TIMEOUT_MILLIS, millis);
			return handshakeTimeoutSet ? connecting
					: connecting.doOnChannelInit((observer, channel, address) -> {
						SslHandler tls = channel.pipeline().get(SslHandler.class);
						if (tls != null) {
							tls.setHandshakeTimeoutMillis(millis);
						}
					});
		};
	}

	/** Spring Cloud LoadBalancer's client factory, set up as its auto-configuration does, with lookups kept. */
	@Bean
	LoadBalancerClientFactory loadBalancerClientFactory(LoadBalancerClientsProperties properties,
			ObjectProvider<List<LoadBalancerClientSpecification>> configurations) {
		LoadBalancerClientFactory factory = new CachingLoadBalancerClientFactory(properties);
		factory.setConfigurations(configurations.getIfAvailable(List::of));
		return factory;
	}

	/**
	 * Every path and method goes to the backends. The route comes last, so that routes a developer adds in
	 * {@code spring.cloud.gateway.server.webflux.routes} or in another {@code RouteLocator} win.
	 */
	@Bean
	RouteLocator balancerRoute(RouteLocatorBuilder routes, FailoverFilter failover,
			ObjectProvider<StickySessions> stickySessions, ForwardingHeadersFilter forwarding,
			BalancerProperties properties, BackendMetrics backendMetrics,
			ObjectProvider<OutlierDetector> outlierDetector) {
		OutlierDetector outliers = outlierDetector.getIfAvailable();
		BrokenResponseFilter broken = new BrokenResponseFilter((outcome) -> {
			backendMetrics.responseBrokeOff(outcome);
			if (outliers != null) {
				outliers.responseBrokeOff(outcome);
			}
		});
		List<GatewayFilter> filters = new ArrayList<>(List.of(failover, new InFlightReleaseFilter(),
				broken, new SingleWriteResponseFilter(), new ClientAddressFilter(),
				new ResponseTimeoutFilter(properties.timeouts().response(), properties.timeouts().client())));
		stickySessions.ifAvailable((sessions) -> filters.add(new StickySessionFilter(sessions, forwarding)));
		if (properties.preserveHost()) {
			filters.add(new PreserveHostHeaderGatewayFilterFactory().apply());
		}
		return routes.routes()
			.route(ROUTE_ID, (route) -> route.order(Ordered.LOWEST_PRECEDENCE)
				.alwaysTrue()
				.filters((spec) -> spec.filters(filters))
				// ResponseTimeoutFilter times each attempt; -1 keeps the gateway's own response timeout
				// (spring.cloud.gateway.server.webflux.httpclient.response-timeout) off this route.
				.metadata(RouteMetadataUtils.RESPONSE_TIMEOUT_ATTR, -1)
				.uri("lb://" + Backends.SERVICE_ID))
			.build();
	}

	/**
	 * The gateway's route lookup, over a list of the routes instead of the gateway's cached {@code Flux}
	 * ({@link RouteListHandlerMapping}); set up as the gateway sets up its own.
	 */
	@Bean
	RouteListHandlerMapping routePredicateHandlerMapping(FilteringWebHandler webHandler,
			RouteLocator routeLocator, GlobalCorsProperties globalCorsProperties, Environment environment,
			ObjectProvider<ApiVersionStrategy> apiVersionStrategy) {
		RouteListHandlerMapping mapping = new RouteListHandlerMapping(webHandler, routeLocator, globalCorsProperties,
				environment);
		apiVersionStrategy.ifAvailable(mapping::setApiVersionStrategy);
		return mapping;
	}

	/** {@code Connection: close} on backend responses once the drain has begun ({@link DrainingResponsesFilter}). */
	@Bean
	DrainingResponsesFilter drainingResponsesFilter(OpenWebSocketSessions sessions) {
		return new DrainingResponsesFilter(sessions::isClosing);
	}

	@Bean
	ForwardingHeadersFilter forwardingHeadersFilter(BalancerProperties properties) {
		List<AddressRange> trusted = AddressRange.parseAll(properties.trustedProxies());
		return new ForwardingHeadersFilter(trusted);
	}

	/** Redirects that name a backend's own address go to clients as paths ({@link BackendRedirectsFilter}). */
	@Bean
	BackendRedirectsFilter backendRedirectsFilter(BalancerProperties properties) {
		return new BackendRedirectsFilter(properties.backends().stream().map(BalancerProperties.Backend::url).toList());
	}

	@Bean
	JsonErrorHandler jsonErrorHandler(JsonMapper json, Stopping stopping) {
		return new JsonErrorHandler(json, stopping);
	}

	@Bean
	StartupLog startupLog(BackendHealthRegistry registry, ReactorResourceFactory netty,
			ServerProperties serverProperties, SslBundles bundles, SslProperties sslProperties) {
		return new StartupLog(registry, netty, serverProperties.getSsl(), bundles, sslProperties);
	}

	/** The actuator kept off the port clients use, checked before the server is made. */
	@Bean
	ManagementPortCheck managementPortCheck(Environment environment) {
		return new ManagementPortCheck(environment);
	}

	/** Warnings of keys that look like misspelt settings, such as {@code server.prot}. */
	@Bean
	MisspeltSettingsLog misspeltSettingsLog() {
		return new MisspeltSettingsLog();
	}

	/** Durations written with their unit, checked before the server is made. */
	@Bean
	DurationUnitsCheck durationUnitsCheck(Environment environment) {
		return new DurationUnitsCheck(environment);
	}

	/** Limits on the length of heads that Reactor Netty can take, checked before the server is made. */
	@Bean
	LengthLimitsCheck lengthLimitsCheck(Environment environment) {
		return new LengthLimitsCheck(environment);
	}

	/**
	 * Spring Boot's registry of SSL bundles, filled by its registrars as Spring Boot fills the one it makes when there
	 * is none, where {@link TlsSettingsCheck} refuses a reloaded bundle before it replaces the one in use.
	 */
	@Bean
	CheckedSslBundleRegistry checkedSslBundleRegistry(ObjectProvider<SslBundleRegistrar> registrars) {
		CheckedSslBundleRegistry registry = new CheckedSslBundleRegistry();
		registrars.orderedStream().forEach((registrar) -> registrar.registerBundles(registry));
		return registry;
	}

	/** TLS settings checked before the server is made, so that a wrong one stops start-up naming the property. */
	@Bean
	TlsSettingsCheck tlsSettingsCheck(ServerProperties serverProperties, HttpClientProperties backendProperties,
			SslBundles bundles, SslProperties sslProperties, Environment environment) {
		return new TlsSettingsCheck(serverProperties.getSsl(), backendProperties.getSsl(), bundles, sslProperties,
				environment);
	}

}
