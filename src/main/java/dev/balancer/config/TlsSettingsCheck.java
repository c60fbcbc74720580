package dev.balancer.config;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.Key;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.Signature;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.function.Supplier;

import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.jspecify.annotations.Nullable;

import org.springframework.boot.autoconfigure.ssl.SslProperties;
import org.springframework.boot.ssl.SslBundle;
import org.springframework.boot.ssl.SslBundles;
import org.springframework.boot.web.server.ConfigurableWebServerFactory;
import org.springframework.boot.web.server.Ssl;
import org.springframework.boot.web.server.WebServerFactoryCustomizer;
import org.springframework.boot.web.server.WebServerSslBundle;
import org.springframework.cloud.gateway.config.HttpClientProperties;
import org.springframework.core.NestedExceptionUtils;
import org.springframework.core.env.Environment;
import org.springframework.core.io.DefaultResourceLoader;
import org.springframework.core.io.ResourceLoader;
import org.springframework.util.StringUtils;

/**
 * Checks the TLS settings before the server is made: the certificate and key clients are served
 * ({@code server.ssl.*}, or the bundle {@code server.ssl.bundle} names) and what the gateway's client trusts and
 * presents to {@code https} backends ({@code spring.cloud.gateway.server.webflux.httpclient.ssl.*}).
 * <p>
 * Spring Boot and the gateway check these only where they use them: a certificate file that was missing stopped
 * start-up with about a hundred lines of stack trace that named the file but no property, a bundle name with a typo
 * likewise, and a private key that does not belong to its certificate was not noticed at all: the balancer started,
 * and every TLS handshake failed. nginx refuses to start on each of these. Here each stops start-up as invalid
 * configuration, naming the property ({@link InvalidSettingException}). A certificate Spring Boot reloads for
 * clients passes the same checks before the server takes it.
 */
class TlsSettingsCheck implements WebServerFactoryCustomizer<ConfigurableWebServerFactory> {

	private static final Log logger = LogFactory.getLog("dev.balancer");

	static final String BACKEND_TLS = "spring.cloud.gateway.server.webflux.httpclient.ssl";

	private static final byte[] PROBE = "balancer".getBytes(StandardCharsets.US_ASCII);

	private final @Nullable Ssl serverSsl;

	private final HttpClientProperties.Ssl backendSsl;

	private final SslBundles bundles;

	private final SslProperties sslProperties;

	private final Environment environment;

	private final ResourceLoader resources = new DefaultResourceLoader();

	TlsSettingsCheck(@Nullable Ssl serverSsl, HttpClientProperties.Ssl backendSsl, SslBundles bundles,
			SslProperties sslProperties, Environment environment) {
		this.serverSsl = serverSsl;
		this.backendSsl = backendSsl;
		this.bundles = bundles;
		this.sslProperties = sslProperties;
		this.environment = environment;
	}

	@Override
	public void customize(ConfigurableWebServerFactory factory) {
		checkServer();
		checkBackends();
	}

	private void checkServer() {
		Ssl ssl = this.serverSsl;
		if (!Ssl.isEnabled(ssl)) {
			return;
		}
		KeyMaterial material;
		if (StringUtils.hasText(ssl.getBundle())) {
			material = bundleMaterial("server.ssl.bundle", ssl.getBundle());
		}
		else if (StringUtils.hasText(ssl.getKeyStore())) {
			material = KeyMaterial.keyStore("server.ssl.key-store", "server.ssl.key-password",
					"server.ssl.key-store-password");
		}
		else if (StringUtils.hasText(ssl.getCertificate())) {
			if (!StringUtils.hasText(ssl.getCertificatePrivateKey())) {
				throw invalid("server.ssl.certificate-private-key",
						"is needed with server.ssl.certificate: the PEM file of the certificate's private key");
			}
			// server.ssl.* has no password for a PEM key: Spring Boot opens only an unencrypted one
			material = KeyMaterial.pem("server.ssl.certificate", "server.ssl.certificate-private-key", null);
		}
		else {
			throw invalid("server.ssl.certificate", "is needed when TLS is on for clients (a server.ssl.* setting"
					+ " turns it on): the PEM file of the certificate, with server.ssl.certificate-private-key,"
					+ " or server.ssl.bundle naming a bundle of spring.ssl.bundle.*");
		}
		checkKeyMaterial(() -> WebServerSslBundle.get(ssl, this.bundles), material);
		if (StringUtils.hasText(ssl.getBundle())) {
			KeyMaterial checked = material;
			if (this.bundles instanceof CheckedSslBundleRegistry registry) {
				// an update refused here never replaces the bundle in use, nor reaches the server
				registry.checkUpdates(ssl.getBundle(), (updated) -> acceptsUpdate(updated, checked));
			}
			else {
				// an application's own registry: added before the web server adds its handler when it is made,
				// after this, a handler that throws keeps the update from the server at least
				this.bundles.addBundleUpdateHandler(ssl.getBundle(), (updated) -> {
					if (!acceptsUpdate(updated, checked)) {
						throw new IllegalStateException("TLS certificate for clients not reloaded");
					}
				});
			}
		}
	}

	/**
	 * A bundle reloaded after its files changed passes the same checks before the server takes it. Spring Boot would
	 * otherwise serve a key that does not belong to its certificate, and every TLS handshake would fail.
	 */
	private boolean acceptsUpdate(SslBundle updated, KeyMaterial material) {
		try {
			checkKeyMaterial(() -> updated, material);
			return true;
		}
		catch (InvalidSettingException ex) {
			logger.error("TLS certificate for clients not reloaded, new connections keep the one in use: "
					+ ex.getMessage());
			return false;
		}
	}

	private void checkBackends() {
		List<String> trusted = this.backendSsl.getTrustedX509Certificates();
		for (int i = 0; i < trusted.size(); i++) {
			String property = BACKEND_TLS + ".trusted-x509-certificates[" + i + "]";
			try (InputStream in = this.resources.getResource(trusted.get(i)).getInputStream()) {
				if (CertificateFactory.getInstance("X.509").generateCertificates(in).isEmpty()) {
					throw invalid(property, "holds no certificate");
				}
			}
			catch (IOException | GeneralSecurityException ex) {
				throw invalid(property, reason(ex));
			}
		}
		String name = this.backendSsl.getSslBundle();
		if (StringUtils.hasText(name)) {
			checkKeyMaterial(() -> this.bundles.getBundle(name), bundleMaterial(BACKEND_TLS + ".ssl-bundle", name));
		}
	}

	/**
	 * The settings of the bundle {@code name}: PEM files or a key store. Fails on {@code property} when there is no
	 * such bundle.
	 */
	private KeyMaterial bundleMaterial(String property, String name) {
		List<String> defined = this.bundles.getBundleNames();
		if (!defined.contains(name)) {
			throw invalid(property, "names no SSL bundle: define it under spring.ssl.bundle.pem." + name
					+ ".* or spring.ssl.bundle.jks." + name + ".*"
					+ (defined.isEmpty() ? "" : " (defined: " + String.join(", ", defined) + ")"));
		}
		String pem = "spring.ssl.bundle.pem." + name + ".keystore.";
		if (this.sslProperties.getBundle().getPem().containsKey(name)) {
			return KeyMaterial.pem(pem + "certificate", pem + "private-key", pem + "private-key-password");
		}
		String jks = "spring.ssl.bundle.jks." + name + ".";
		return KeyMaterial.keyStore(jks + "keystore.location", jks + "key.password", jks + "keystore.password");
	}

	/** Loads the bundle's key store and checks that its private key belongs to its certificate. */
	private void checkKeyMaterial(Supplier<SslBundle> bundleSupplier, KeyMaterial material) {
		try {
			SslBundle bundle = bundleSupplier.get();
			KeyStore store = bundle.getStores().getKeyStore();
			if (store == null) {
				return; // a bundle with trust material only
			}
			String alias = ServedCertificate.keyAlias(store, bundle.getKey());
			if (alias == null) {
				throw invalid(material.key(), "holds no private key");
			}
			Key key = store.getKey(alias, password(bundle));
			Certificate certificate = store.getCertificate(alias);
			if (key instanceof PrivateKey privateKey && certificate != null
					&& !belongTogether(privateKey, certificate.getPublicKey())) {
				throw invalid(material.key(), "is not the private key of the certificate in " + material.certificate()
						+ " (" + ServedCertificate.describe(certificate) + ")");
			}
		}
		catch (InvalidSettingException ex) {
			throw ex;
		}
		catch (RuntimeException | GeneralSecurityException ex) {
			throw blame(material, ex);
		}
	}

	/** The key's password as Spring Boot opens the key for the server: the key's own, else the key store's. */
	private static char @Nullable [] password(SslBundle bundle) {
		String password = bundle.getKey().getPassword();
		if (password == null) {
			password = bundle.getStores().getKeyStorePassword();
		}
		return (password != null) ? password.toCharArray() : null;
	}

	/**
	 * Whether {@code key} signs what {@code publicKey} verifies. For a kind of key this does not know, true: the TLS
	 * handshake is the test then.
	 */
	static boolean belongTogether(PrivateKey key, PublicKey publicKey) {
		String algorithm = switch (key.getAlgorithm()) {
			case "RSA" -> "SHA256withRSA";
			case "EC" -> "SHA256withECDSA";
			case "DSA" -> "SHA256withDSA";
			case "Ed25519", "Ed448", "EdDSA" -> key.getAlgorithm();
			default -> null;
		};
		if (algorithm == null) {
			return true;
		}
		try {
			Signature signer = Signature.getInstance(algorithm);
			signer.initSign(key);
			signer.update(PROBE);
			byte[] signature = signer.sign();
			Signature verifier = Signature.getInstance(algorithm);
			verifier.initVerify(publicKey);
			verifier.update(PROBE);
			return verifier.verify(signature);
		}
		catch (GeneralSecurityException ex) {
			return false; // a key of another kind than the certificate's
		}
	}

	private InvalidSettingException invalid(String property, String reason) {
		return InvalidSettingException.of(this.environment, property, reason);
	}

	/** The failure's own words: its deepest cause's message. */
	private static String reason(Throwable failure) {
		Throwable deepest = NestedExceptionUtils.getMostSpecificCause(failure);
		String message = (deepest.getMessage() != null) ? deepest.getMessage() : deepest.getClass().getSimpleName();
		return ((deepest instanceof IOException) ? "cannot be read: " : "cannot be used: ") + message;
	}

	/** The messages of the failure and of each of its causes. */
	private static List<String> messages(Throwable failure) {
		List<String> messages = new ArrayList<>();
		Set<Throwable> seen = Collections.newSetFromMap(new IdentityHashMap<>());
		for (Throwable cause = failure; cause != null && seen.add(cause); cause = cause.getCause()) {
			messages.add(String.valueOf(cause.getMessage()));
		}
		return messages;
	}

	/**
	 * The failure to load {@code material} put on the setting it came from: a password when it says so, else the
	 * setting whose value it quotes (a file that cannot be read), else the one its message is about.
	 */
	private InvalidSettingException blame(KeyMaterial material, Throwable failure) {
		List<String> messages = messages(failure);
		String all = String.join("\n", messages).toLowerCase(Locale.ROOT);
		if (all.contains("password")) {
			if (material.keyPassword() == null) {
				return invalid(material.key(), "is an encrypted private key, which these settings cannot open: give"
						+ " it unencrypted (openssl pkey -in tls.key -out tls-plain.key)");
			}
			boolean store = material.storePassword() != null && all.contains("keystore");
			return invalid(store ? material.storePassword() : material.keyPassword(), reason(failure));
		}
		for (String suspect : List.of(material.certificate(), material.key())) {
			String value = this.environment.getProperty(suspect);
			if (StringUtils.hasText(value) && messages.stream().anyMatch((message) -> message.contains(value))) {
				return invalid(suspect, reason(failure));
			}
		}
		return invalid(all.contains("private key") ? material.key() : material.certificate(), reason(failure));
	}

	/**
	 * The properties that hold a certificate and its private key (one key store for both, or two PEM files), with
	 * the passwords that open them (none where no setting can), so that a failure to load them can be put on the
	 * one it came from.
	 */
	private record KeyMaterial(String certificate, String key, @Nullable String keyPassword,
			@Nullable String storePassword) {

		static KeyMaterial pem(String certificate, String key, @Nullable String keyPassword) {
			return new KeyMaterial(certificate, key, keyPassword, null);
		}

		static KeyMaterial keyStore(String location, String keyPassword, String storePassword) {
			return new KeyMaterial(location, location, keyPassword, storePassword);
		}

	}

}
