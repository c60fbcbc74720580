package dev.balancer.config;

import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.Collections;

import org.jspecify.annotations.Nullable;

import org.springframework.boot.ssl.SslBundle;
import org.springframework.boot.ssl.SslBundleKey;

/** The certificate a TLS server presents, as the log names it: its subject and when it expires. */
final class ServedCertificate {

	private ServedCertificate() {
	}

	/**
	 * The alias of the key a server presents from {@code store}: the bundle key's alias, or the first key entry, as
	 * the key manager picks it when the bundle names none; {@code null} when there is no such key.
	 */
	static @Nullable String keyAlias(KeyStore store, SslBundleKey key) throws GeneralSecurityException {
		String alias = key.getAlias();
		for (String name : (alias != null) ? Collections.singletonList(alias) : Collections.list(store.aliases())) {
			if (store.isKeyEntry(name)) {
				return name;
			}
		}
		return null;
	}

	/** The certificate of the bundle's key, or of its first key when it names none. */
	static @Nullable X509Certificate of(SslBundle bundle) {
		try {
			KeyStore store = bundle.getStores().getKeyStore();
			String alias = (store != null) ? keyAlias(store, bundle.getKey()) : null;
			return (alias != null && store.getCertificate(alias) instanceof X509Certificate certificate) ? certificate
					: null;
		}
		catch (GeneralSecurityException ex) {
			return null;
		}
	}

	/** {@code CN=balancer.example.com, valid until 2027-02-01T10:00:00Z}, or {@code EXPIRED at ...}. */
	static String describe(Certificate certificate) {
		if (!(certificate instanceof X509Certificate x509)) {
			return certificate.getType() + " certificate";
		}
		return x509.getSubjectX500Principal().getName() + (isExpired(x509) ? ", EXPIRED at " : ", valid until ")
				+ x509.getNotAfter().toInstant();
	}

	static boolean isExpired(X509Certificate certificate) {
		return certificate.getNotAfter().toInstant().isBefore(Instant.now());
	}

}
