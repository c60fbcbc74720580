package dev.balancer.support;

import java.io.File;
import java.security.cert.CertificateException;
import java.util.concurrent.atomic.AtomicInteger;

import io.netty.handler.ssl.ClientAuth;
import io.netty.handler.ssl.util.SelfSignedCertificate;
import org.jspecify.annotations.Nullable;
import reactor.core.publisher.Mono;
import reactor.netty.DisposableServer;
import reactor.netty.http.Http11SslContextSpec;
import reactor.netty.http.server.HttpServer;

/**
 * A backend that serves HTTPS on 127.0.0.1 with a self-signed certificate for {@code localhost}, which no trust
 * store knows: it answers probes of {@link TestBackend#HEALTH_PATH} with {@code ok} and any other request
 * with {@link #BODY}.
 */
public final class TlsBackend implements AutoCloseable {

	public static final String BODY = "hello over tls";

	private final SelfSignedCertificate certificate;

	private final DisposableServer server;

	private final AtomicInteger connections = new AtomicInteger();

	private TlsBackend(SelfSignedCertificate certificate, @Nullable File clientCertificate) {
		this.certificate = certificate;
		Http11SslContextSpec context = Http11SslContextSpec.forServer(certificate.certificate(),
				certificate.privateKey());
		if (clientCertificate != null) {
			context = context.configure((builder) -> builder.trustManager(clientCertificate)
				.clientAuth(ClientAuth.REQUIRE));
		}
		Http11SslContextSpec tlsContext = context;
		this.server = HttpServer.create()
			.host("127.0.0.1")
			.port(0)
			.doOnChannelInit((observer, channel, address) -> this.connections.incrementAndGet())
			.secure((tls) -> tls.sslContext(tlsContext))
			.handle((request, response) -> response
				.sendString(Mono.just(TestBackend.HEALTH_PATH.equals(request.fullPath()) ? "ok" : BODY)))
			.bindNow();
	}

	public static TlsBackend start() {
		return new TlsBackend(selfSigned(), null);
	}

	/** One that also requires clients to present the given certificate (mutual TLS). */
	public static TlsBackend requiringClientCertificate(File clientCertificate) {
		return new TlsBackend(selfSigned(), clientCertificate);
	}

	/** A new self-signed certificate for {@code localhost}; {@link SelfSignedCertificate#delete()} removes it. */
	public static SelfSignedCertificate selfSigned() {
		try {
			return new SelfSignedCertificate("localhost");
		}
		catch (CertificateException ex) {
			throw new IllegalStateException(ex);
		}
	}

	public int port() {
		return this.server.port();
	}

	/** The URL a client reaches it by: {@code https://localhost:PORT}, the name its certificate is for. */
	public String url() {
		return "https://localhost:" + port();
	}

	/** Connections clients opened to it so far, whether their TLS handshake then succeeded or not. */
	public int connections() {
		return this.connections.get();
	}

	/** Its certificate, as a PEM file. */
	public File certificate() {
		return this.certificate.certificate();
	}

	@Override
	public void close() {
		this.server.disposeNow();
		this.certificate.delete();
	}

}
