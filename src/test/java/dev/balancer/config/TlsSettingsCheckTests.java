package dev.balancer.config;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.util.Base64;
import java.util.function.Consumer;

import javax.crypto.EncryptedPrivateKeyInfo;

import io.netty.handler.ssl.util.SelfSignedCertificate;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import dev.balancer.support.TlsBackend;

import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.autoconfigure.ssl.SslAutoConfiguration;
import org.springframework.boot.autoconfigure.ssl.SslProperties;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.ssl.SslBundle;
import org.springframework.boot.ssl.SslBundleRegistry;
import org.springframework.boot.ssl.SslBundles;
import org.springframework.boot.ssl.pem.PemSslStoreBundle;
import org.springframework.boot.ssl.pem.PemSslStoreDetails;
import org.springframework.boot.test.context.assertj.AssertableApplicationContext;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.boot.web.server.Ssl;
import org.springframework.cloud.gateway.config.HttpClientProperties;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalStateException;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

/**
 * TLS settings that cannot work stop start-up naming the property, before Spring Boot or the gateway load them
 * with a stack trace that names none, or, for a key that does not belong to its certificate, start a server whose
 * every handshake fails.
 */
class TlsSettingsCheckTests {

	static final SelfSignedCertificate served = TlsBackend.selfSigned();

	static final SelfSignedCertificate other = TlsBackend.selfSigned();

	final ApplicationContextRunner runner = new ApplicationContextRunner()
		.withConfiguration(AutoConfigurations.of(SslAutoConfiguration.class));

	@AfterAll
	static void deleteCertificates() {
		served.delete();
		other.delete();
	}

	@Test
	void aCertificateAndItsKeyPass() {
		check((failure) -> assertThat(failure).isNull(), "server.ssl.certificate=" + file(served.certificate()),
				"server.ssl.certificate-private-key=" + file(served.privateKey()));
	}

	@Test
	void noTlsPasses() {
		check((failure) -> assertThat(failure).isNull(), "server.port=8080");
	}

	@Test
	void aCertificateFileThatIsNotThereIsNamed() {
		check((failure) -> {
			assertThat(failure.property()).isEqualTo("server.ssl.certificate");
			assertThat(failure.reason()).startsWith("cannot be read: ").contains("missing.crt");
			assertThat(failure.bound().getValue()).isEqualTo("file:/nonexistent/missing.crt");
			assertThat(failure.bound().getOrigin()).isNotNull();
		}, "server.ssl.certificate=file:/nonexistent/missing.crt",
				"server.ssl.certificate-private-key=" + file(served.privateKey()));
	}

	@Test
	void aKeyFileThatIsNotThereIsNamed() {
		check((failure) -> {
			assertThat(failure.property()).isEqualTo("server.ssl.certificate-private-key");
			assertThat(failure.reason()).startsWith("cannot be read: ");
		}, "server.ssl.certificate=" + file(served.certificate()),
				"server.ssl.certificate-private-key=file:/nonexistent/missing.key");
	}

	@Test
	void theKeyGivenAsTheCertificateIsNamed() {
		check((failure) -> {
			assertThat(failure.property()).isEqualTo("server.ssl.certificate");
			assertThat(failure.reason()).contains("certificates");
		}, "server.ssl.certificate=" + file(served.privateKey()),
				"server.ssl.certificate-private-key=" + file(served.privateKey()));
	}

	@Test
	void aKeyThatIsNotTheCertificatesIsNamed() {
		check((failure) -> {
			assertThat(failure.property()).isEqualTo("server.ssl.certificate-private-key");
			assertThat(failure.reason()).startsWith(
					"is not the private key of the certificate in server.ssl.certificate (CN=localhost, valid until ");
		}, "server.ssl.certificate=" + file(served.certificate()),
				"server.ssl.certificate-private-key=" + file(other.privateKey()));
	}

	@Test
	void aCertificateWithoutKeyIsNamed() {
		check((failure) -> {
			assertThat(failure.property()).isEqualTo("server.ssl.certificate-private-key");
			assertThat(failure.bound()).isNull();
			assertThat(failure.reason()).startsWith("is needed with server.ssl.certificate");
		}, "server.ssl.certificate=" + file(served.certificate()));
	}

	@Test
	void tlsOnWithoutCertificateIsNamed() {
		check((failure) -> {
			assertThat(failure.property()).isEqualTo("server.ssl.certificate");
			assertThat(failure.reason()).startsWith("is needed when TLS is on for clients");
		}, "server.ssl.enabled=true");
	}

	@Test
	void aBundleThatIsNotDefinedIsNamedWithThoseThatAre() {
		check((failure) -> {
			assertThat(failure.property()).isEqualTo("server.ssl.bundle");
			assertThat(failure.reason()).isEqualTo("names no SSL bundle: define it under spring.ssl.bundle.pem.wbe.*"
					+ " or spring.ssl.bundle.jks.wbe.* (defined: web)");
		}, "server.ssl.bundle=wbe", "spring.ssl.bundle.pem.web.keystore.certificate=" + file(served.certificate()),
				"spring.ssl.bundle.pem.web.keystore.private-key=" + file(served.privateKey()));
	}

	@Test
	void aBundlesKeyThatIsNotItsCertificatesIsNamed() {
		check((failure) -> assertThat(failure.property()).isEqualTo("spring.ssl.bundle.pem.web.keystore.private-key"),
				"server.ssl.bundle=web", "spring.ssl.bundle.pem.web.keystore.certificate=" + file(served.certificate()),
				"spring.ssl.bundle.pem.web.keystore.private-key=" + file(other.privateKey()));
	}

	@Test
	void aBundlesMissingFileIsNamed() {
		check((failure) -> assertThat(failure.property()).isEqualTo("spring.ssl.bundle.pem.web.keystore.certificate"),
				"server.ssl.bundle=web", "spring.ssl.bundle.pem.web.keystore.certificate=file:/nonexistent/web.crt",
				"spring.ssl.bundle.pem.web.keystore.private-key=" + file(served.privateKey()));
	}

	@Test
	void aKeyStoreWithTheWrongPasswordIsNamedAndItsPasswordNotShown(@TempDir Path directory) throws Exception {
		Path store = keyStore(directory, "right");
		check((failure) -> {
			assertThat(failure.property()).isEqualTo("server.ssl.key-store-password");
			String description = new InvalidSettingFailureAnalyzer().analyze(failure).getDescription();
			assertThat(description).contains("Value: (hidden)").doesNotContain("wrong");
		}, "server.ssl.key-store=" + store.toUri(), "server.ssl.key-store-password=wrong",
				"server.ssl.key-store-type=PKCS12");
	}

	/** Spring Boot opens no encrypted PEM key given in server.ssl.*, whichever password setting is there. */
	@Test
	void anEncryptedKeyInServerSslIsNamedWithWhatToDo() throws Exception {
		String encrypted = "-----BEGIN ENCRYPTED PRIVATE KEY-----\n" + Base64.getMimeEncoder()
			.encodeToString(new EncryptedPrivateKeyInfo("PBEWithMD5AndDES", new byte[64]).getEncoded())
				+ "\n-----END ENCRYPTED PRIVATE KEY-----\n";
		check((failure) -> {
			assertThat(failure.property()).isEqualTo("server.ssl.certificate-private-key");
			assertThat(failure.reason()).startsWith("is an encrypted private key, which these settings cannot open");
		}, "server.ssl.certificate=" + file(served.certificate()), "server.ssl.certificate-private-key=" + encrypted,
				"server.ssl.key-password=secret");
	}

	@Test
	void aKeyStoreWithTheRightPasswordPasses(@TempDir Path directory) throws Exception {
		Path store = keyStore(directory, "right");
		check((failure) -> assertThat(failure).isNull(), "server.ssl.key-store=" + store.toUri(),
				"server.ssl.key-store-password=right", "server.ssl.key-store-type=PKCS12");
	}

	@Test
	void aTrustedBackendCertificateThatIsNotThereIsNamedByItsPlaceInTheList() {
		check((failure) -> {
			assertThat(failure.property())
				.isEqualTo("spring.cloud.gateway.server.webflux.httpclient.ssl.trusted-x509-certificates[1]");
			assertThat(failure.reason()).startsWith("cannot be read: ");
		}, "spring.cloud.gateway.server.webflux.httpclient.ssl.trusted-x509-certificates[0]="
				+ file(served.certificate()),
				"spring.cloud.gateway.server.webflux.httpclient.ssl.trusted-x509-certificates[1]=file:/nonexistent/ca.pem");
	}

	@Test
	void aBackendBundleThatIsNotDefinedIsNamed() {
		check((failure) -> assertThat(failure.property())
			.isEqualTo("spring.cloud.gateway.server.webflux.httpclient.ssl.ssl-bundle"),
				"spring.cloud.gateway.server.webflux.httpclient.ssl.ssl-bundle=client");
	}

	@Test
	void pemTextIsNotShownInTheReport() throws IOException {
		String pem = Files.readString(other.privateKey().toPath());
		check((failure) -> {
			assertThat(failure.property()).isEqualTo("server.ssl.certificate-private-key");
			String description = new InvalidSettingFailureAnalyzer().analyze(failure).getDescription();
			assertThat(description).contains("Value: (PEM text)").doesNotContain("PRIVATE KEY");
		}, "server.ssl.certificate=" + file(served.certificate()), "server.ssl.certificate-private-key=" + pem);
	}

	@ParameterizedTest
	@ValueSource(strings = { "RSA", "EC", "Ed25519" })
	void aKeyBelongsToItsOwnPublicKeyOnly(String algorithm) throws Exception {
		KeyPairGenerator generator = KeyPairGenerator.getInstance(algorithm);
		KeyPair pair = generator.generateKeyPair();
		KeyPair another = generator.generateKeyPair();
		KeyPair otherKind = KeyPairGenerator.getInstance(algorithm.equals("RSA") ? "EC" : "RSA").generateKeyPair();

		assertThat(TlsSettingsCheck.belongTogether(pair.getPrivate(), pair.getPublic())).isTrue();
		assertThat(TlsSettingsCheck.belongTogether(pair.getPrivate(), another.getPublic())).isFalse();
		assertThat(TlsSettingsCheck.belongTogether(pair.getPrivate(), otherKind.getPublic())).isFalse();
	}

	/**
	 * With Spring Boot's own registry (an application that replaced the balancer's {@link CheckedSslBundleRegistry}),
	 * a reloaded bundle whose key is not its certificate's stops Spring Boot's update before the server's handler.
	 */
	@Test
	void aReloadedBundleThatCannotWorkStopsTheUpdateOfSpringBootsOwnRegistry() {
		this.runner
			.withPropertyValues("server.ssl.bundle=web", "spring.ssl.bundle.pem.web.keystore.certificate="
					+ file(served.certificate()),
					"spring.ssl.bundle.pem.web.keystore.private-key=" + file(served.privateKey()))
			.run((context) -> {
				check(context);
				SslBundleRegistry registry = context.getBean(SslBundleRegistry.class);
				SslBundle mismatched = SslBundle.of(new PemSslStoreBundle(
						PemSslStoreDetails.forCertificate(file(served.certificate()))
							.withPrivateKey(file(other.privateKey())),
						null));

				assertThatIllegalStateException().isThrownBy(() -> registry.updateBundle("web", mismatched))
					.withMessage("TLS certificate for clients not reloaded");
			});
	}

	private void check(Consumer<InvalidSettingException> expectation, String... properties) {
		this.runner.withPropertyValues(properties).run((context) -> {
			assertThat(context).hasNotFailed();
			expectation.accept(catchThrowableOfType(InvalidSettingException.class, () -> check(context)));
		});
	}

	private static void check(AssertableApplicationContext context) {
		Binder binder = Binder.get(context.getEnvironment());
		Ssl server = binder.bind("server.ssl", Ssl.class).orElse(null);
		HttpClientProperties.Ssl backends = binder
			.bind(TlsSettingsCheck.BACKEND_TLS, HttpClientProperties.Ssl.class)
			.orElseGet(HttpClientProperties.Ssl::new);
		new TlsSettingsCheck(server, backends, context.getBean(SslBundles.class), context.getBean(SslProperties.class),
				context.getEnvironment())
			.customize(null);
	}

	private static String file(java.io.File file) {
		return "file:" + file.getAbsolutePath();
	}

	private static Path keyStore(Path directory, String password) throws Exception {
		KeyStore store = KeyStore.getInstance("PKCS12");
		store.load(null, null);
		store.setKeyEntry("balancer", served.key(), password.toCharArray(), new Certificate[] { served.cert() });
		Path path = directory.resolve("balancer.p12");
		try (OutputStream out = Files.newOutputStream(path)) {
			store.store(out, password.toCharArray());
		}
		return path;
	}

}
