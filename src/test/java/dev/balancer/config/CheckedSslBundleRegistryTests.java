package dev.balancer.config;

import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;

import org.springframework.boot.ssl.SslBundle;
import org.springframework.boot.ssl.SslStoreBundle;

import static org.assertj.core.api.Assertions.assertThat;

/** A bundle update the check refuses leaves the bundle in use in the registry and reaches no update handler. */
class CheckedSslBundleRegistryTests {

	private final CheckedSslBundleRegistry registry = new CheckedSslBundleRegistry();

	private final SslBundle inUse = SslBundle.of(SslStoreBundle.NONE);

	private final List<SslBundle> handled = new ArrayList<>();

	CheckedSslBundleRegistryTests() {
		this.registry.registerBundle("web", this.inUse);
		this.registry.addBundleUpdateHandler("web", this.handled::add);
	}

	@Test
	void anUpdateTheCheckRefusesIsDropped() {
		SslBundle refused = SslBundle.of(SslStoreBundle.NONE);
		this.registry.checkUpdates("web", (updated) -> updated != refused);

		this.registry.updateBundle("web", refused);

		assertThat(this.registry.getBundle("web")).isSameAs(this.inUse);
		assertThat(this.handled).isEmpty();
	}

	@Test
	void anUpdateTheCheckAcceptsTakesThePlaceOfTheBundleInUse() {
		SslBundle accepted = SslBundle.of(SslStoreBundle.NONE);
		this.registry.checkUpdates("web", (updated) -> true);

		this.registry.updateBundle("web", accepted);

		assertThat(this.registry.getBundle("web")).isSameAs(accepted);
		assertThat(this.handled).containsExactly(accepted);
	}

	@Test
	void aBundleWithoutACheckIsUpdatedAsSpringBootUpdatesIt() {
		SslBundle updated = SslBundle.of(SslStoreBundle.NONE);
		this.registry.checkUpdates("other", (bundle) -> false);

		this.registry.updateBundle("web", updated);

		assertThat(this.registry.getBundle("web")).isSameAs(updated);
		assertThat(this.handled).containsExactly(updated);
	}

}
