package dev.balancer.config;

import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Instant;
import java.util.Collections;

import org.jspecify.annotations.Nullable;

import org.springframework.boot.ssl.SslBundle;

/** The certificate a TLS server presents, as the log names it: its subject and when it expires. */
final class ServedCertificate {

	private ServedCertificate() {
	}

	/** The certificate of the bundle's key, or of its first key when it names none. */
	static @Nullable X509Certificate of(SslBundle bundle) {
		try {
			KeyStore store = bundle.getStores().getKeyStore();
			if (store == null) {
				return null;
			}
			String alias = bundle.getKey().getAlias();
			for (String name : (alias != null) ? Collections.singletonList(alias) : Collections.list(store.aliases())) {
				if (store.isKeyEntry(name) && store.getCertificate(name) instanceof X509Certificate certificate) {
					return certificate;
				}
			}
			return null;
		}
		catch (GeneralSecurityException ex) {
			return null;
		}
	}

	/** {@code CN=balancer.example.com, valid until 2027-02-01T10:00:00Z}, or {@code expired at ...}. */
	static String describe(Certificate certificate) {
		if (!(certificate instanceof X509Certificate x509)) {
			return certificate.getType() + " certificate";
		}
		return x509.getSubjectX500Principal().getName() + (isExpired(x509, Clock.systemUTC()) ? ", EXPIRED at "
				: ", valid until ") + x509.getNotAfter().toInstant();
	}

	static boolean isExpired(X509Certificate certificate, Clock clock) {
		return certificate.getNotAfter().toInstant().isBefore(Instant.now(clock));
	}

}
