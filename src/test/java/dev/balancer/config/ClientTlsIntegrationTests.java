package dev.balancer.config;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.GeneralSecurityException;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.time.Duration;

import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;

import io.netty.handler.ssl.util.InsecureTrustManagerFactory;
import io.netty.handler.ssl.util.SelfSignedCertificate;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import reactor.core.publisher.Mono;
import reactor.netty.DisposableServer;
import reactor.netty.http.Http11SslContextSpec;
import reactor.netty.http.server.HttpServer;

import dev.balancer.support.BalancerTestProperties;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.ssl.SslBundles;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.context.SpringBootTest.WebEnvironment;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.boot.test.web.server.LocalManagementPort;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.annotation.DirtiesContext;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Clients over TLS as README's "TLS for clients" sets it up: a PEM bundle reloaded when its files change, laid out as
 * Kubernetes mounts a Secret (the files are links through {@code ..data}, which the kubelet points at a new
 * directory on each update). New connections get the new certificate without a restart, the log says so, an update
 * that cannot work (a key that is not the certificate's, files that are no PEM) leaves the certificate in use, and
 * the management port stays plain HTTP for probes and scrapes.
 */
@SpringBootTest(webEnvironment = WebEnvironment.RANDOM_PORT)
@ExtendWith(OutputCaptureExtension.class)
@DirtiesContext
class ClientTlsIntegrationTests {

	static final Duration PATIENCE = Duration.ofSeconds(20);

	static final String NOT_RELOADED = "TLS certificate for clients not reloaded, new connections keep the one in use: ";

	static final Path secret = mountedSecret();

	static final DisposableServer backend = HttpServer.create()
		.host("127.0.0.1")
		.port(0)
		.handle((request, response) -> response
			.sendString(Mono.just("proto=" + request.requestHeaders().get("X-Forwarded-Proto"))))
		.bindNow();

	@DynamicPropertySource
	static void balancer(DynamicPropertyRegistry registry) {
		BalancerTestProperties.register(registry, backend);
		registry.add("server.ssl.bundle", () -> "web");
		registry.add("spring.ssl.bundle.pem.web.reload-on-update", () -> "true");
		registry.add("spring.ssl.bundle.pem.web.keystore.certificate", () -> "file:" + secret.resolve("tls.crt"));
		registry.add("spring.ssl.bundle.pem.web.keystore.private-key", () -> "file:" + secret.resolve("tls.key"));
		registry.add("spring.ssl.bundle.watch.file.quiet-period", () -> "200ms");
	}

	@AfterAll
	static void stopBackend() {
		backend.disposeNow(); // the secret stays, under target/: the watcher would log its removal as an error
	}

	@LocalServerPort
	int port;

	@LocalManagementPort
	int managementPort;

	@Autowired
	SslBundles bundles;

	@Test
	void aRenewedCertificateIsServedWithoutARestartAndOneThatCannotWorkIsNot(CapturedOutput output) throws Exception {
		assertThat(servedSubject()).isEqualTo("CN=first.example");
		assertThat(output).contains("Clients connect over TLS: certificate CN=first.example, valid until ")
			.contains("; reloaded when the files of bundle web change");

		update("second.example");
		await().atMost(PATIENCE).until(this::servedSubject, "CN=second.example"::equals);
		await().atMost(PATIENCE)
			.untilAsserted(() -> assertThat(output)
				.contains("TLS certificate for clients reloaded: CN=second.example, valid until "));

		updateWithKeyOf("fourth.example", "fifth.example");
		await().atMost(PATIENCE).untilAsserted(() -> assertThat(output).contains(NOT_RELOADED
				+ "spring.ssl.bundle.pem.web.keystore.private-key is not the private key of the certificate in"
				+ " spring.ssl.bundle.pem.web.keystore.certificate (CN=fourth.example, "));
		assertThat(servedSubject()).isEqualTo("CN=second.example");
		assertThat(proxied()).isEqualTo("proto=https");
		assertKnownAsServed("CN=second.example");

		updateWithGarbage();
		await().atMost(PATIENCE)
			.untilAsserted(() -> assertThat(output)
				.contains(NOT_RELOADED + "spring.ssl.bundle.pem.web.keystore.certificate "));
		assertThat(servedSubject()).isEqualTo("CN=second.example");
		assertThat(proxied()).isEqualTo("proto=https");
		assertKnownAsServed("CN=second.example");

		assertThat(output).doesNotContain("Unexpected SSL reload error"); // Spring Boot's, with a stack trace

		update("third.example");
		await().atMost(PATIENCE).until(this::servedSubject, "CN=third.example"::equals);
		assertKnownAsServed("CN=third.example");
		assertThat(output.toString().split("TLS certificate for clients reloaded: ", -1)).hasSize(3);
	}

	/**
	 * The bundle Spring Boot keeps, which the {@code ssl} health component and {@code ssl_chain_expiry_seconds}
	 * describe, is the one served: an update refused does not take its place, so that an alert on the expiry of the
	 * certificate clients get still fires.
	 */
	private void assertKnownAsServed(String subject) throws Exception {
		assertThat(ServedCertificate.of(this.bundles.getBundle("web")).getSubjectX500Principal().getName())
			.isEqualTo(subject);
		String health = get("http://127.0.0.1:" + this.managementPort + "/actuator/health");
		assertThat(health).contains("\"ssl\":{").contains(subject).doesNotContain("fourth.example")
			.endsWith("\"status\":\"UP\"}");
	}

	@Test
	void theManagementPortStaysPlainHttp() throws Exception {
		assertThat(get("http://127.0.0.1:" + this.managementPort + "/actuator/health/readiness"))
			.isEqualTo("{\"status\":\"UP\"}");
	}

	private String servedSubject() throws IOException, GeneralSecurityException {
		try (SSLSocket socket = (SSLSocket) trustingAll().getSocketFactory().createSocket("127.0.0.1", this.port)) {
			socket.startHandshake();
			X509Certificate served = (X509Certificate) socket.getSession().getPeerCertificates()[0];
			return served.getSubjectX500Principal().getName();
		}
	}

	private String proxied() {
		return reactor.netty.http.client.HttpClient.create()
			.secure((tls) -> tls.sslContext(Http11SslContextSpec.forClient()
				.configure((builder) -> builder.trustManager(InsecureTrustManagerFactory.INSTANCE))))
			.get()
			.uri("https://127.0.0.1:" + this.port + "/")
			.responseContent()
			.aggregate()
			.asString()
			.block(PATIENCE);
	}

	private static String get(String url) throws Exception {
		return HttpClient.newHttpClient()
			.send(HttpRequest.newBuilder(URI.create(url)).timeout(PATIENCE).build(), HttpResponse.BodyHandlers.ofString())
			.body();
	}

	private static SSLContext trustingAll() throws GeneralSecurityException {
		SSLContext context = SSLContext.getInstance("TLS");
		context.init(null, InsecureTrustManagerFactory.INSTANCE.getTrustManagers(), null);
		return context;
	}

	/** A directory as the kubelet mounts a Secret: tls.crt and tls.key link through ..data to a version. */
	private static Path mountedSecret() {
		try {
			Path directory = Files.createTempDirectory(Files.createDirectories(Path.of("target")), "secret");
			Files.createSymbolicLink(directory.resolve("..data"), version(directory, "first.example").getFileName());
			Files.createSymbolicLink(directory.resolve("tls.crt"), Path.of("..data", "tls.crt"));
			Files.createSymbolicLink(directory.resolve("tls.key"), Path.of("..data", "tls.key"));
			return directory;
		}
		catch (IOException ex) {
			throw new UncheckedIOException(ex);
		}
	}

	/** What the kubelet does on an update: a new version, then ..data swapped to it in one rename. */
	private static void update(String host) throws IOException {
		swapTo(version(secret, host));
	}

	/** A certificate with the private key of another: what a careless copy of the two files leaves. */
	private static void updateWithKeyOf(String host, String keyHost) throws IOException {
		Path version = version(secret, host);
		Files.copy(version(secret, keyHost).resolve("tls.key"), version.resolve("tls.key"),
				StandardCopyOption.REPLACE_EXISTING);
		swapTo(version);
	}

	private static void updateWithGarbage() throws IOException {
		Path version = Files.createTempDirectory(secret, "..broken");
		Files.writeString(version.resolve("tls.crt"), "not a certificate");
		Files.writeString(version.resolve("tls.key"), "not a key");
		swapTo(version);
	}

	private static void swapTo(Path version) throws IOException {
		Path link = secret.resolve("..data_tmp");
		Files.createSymbolicLink(link, version.getFileName());
		Files.move(link, secret.resolve("..data"), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
	}

	private static Path version(Path directory, String host) throws IOException {
		Path version = Files.createTempDirectory(directory, ".." + host);
		try {
			SelfSignedCertificate certificate = new SelfSignedCertificate(host);
			Files.copy(certificate.certificate().toPath(), version.resolve("tls.crt"));
			Files.copy(certificate.privateKey().toPath(), version.resolve("tls.key"));
			certificate.delete();
		}
		catch (CertificateException ex) {
			throw new IllegalStateException(ex);
		}
		return version;
	}

}
