package dev.balancer.config;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Predicate;

import org.springframework.boot.ssl.DefaultSslBundleRegistry;
import org.springframework.boot.ssl.SslBundle;

/**
 * Spring Boot's registry of SSL bundles, where a bundle reloaded after its files changed may be refused before it
 * takes the place of the one in use ({@link TlsSettingsCheck} refuses one that cannot work).
 * <p>
 * Why not an update handler that throws, as Spring Boot offers: the registry takes the new bundle before it calls
 * its handlers. Refused that way, the certificate clients kept getting was no longer the one the {@code ssl}
 * component of {@code /actuator/health} and {@code ssl_chain_expiry_seconds} described, so that an alert on the
 * expiry of the certificate in use could not fire; and Spring Boot logged the refusal again, at ERROR with a stack
 * trace.
 */
class CheckedSslBundleRegistry extends DefaultSslBundleRegistry {

	private final Map<String, Predicate<SslBundle>> checks = new ConcurrentHashMap<>();

	/**
	 * Has each update of the bundle {@code name} pass {@code check} first: one it refuses ({@code false}) is
	 * dropped, and the bundle in use stays. The check says why itself.
	 */
	void checkUpdates(String name, Predicate<SslBundle> check) {
		this.checks.put(name, check);
	}

	@Override
	public void updateBundle(String name, SslBundle updatedBundle) {
		Predicate<SslBundle> check = this.checks.get(name);
		if (check != null && !check.test(updatedBundle)) {
			return;
		}
		super.updateBundle(name, updatedBundle);
	}

}
