package dev.balancer.config;

import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;

import org.springframework.boot.context.event.ApplicationReadyEvent;
import org.springframework.context.ApplicationListener;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * Logs a warning for each key that looks like a misspelt setting ({@link MisspeltSettings}), once the balancer
 * serves, on a thread of its own: reading the metadata of every jar takes 0.1-0.3 s, which start-up need not wait
 * for.
 */
class MisspeltSettingsLog implements ApplicationListener<ApplicationReadyEvent> {

	private static final Log logger = LogFactory.getLog("dev.balancer");

	@Override
	public void onApplicationEvent(ApplicationReadyEvent event) {
		ConfigurableApplicationContext context = event.getApplicationContext();
		Thread check = new Thread(() -> {
			try {
				MisspeltSettings.fromClassPath(context.getClassLoader())
					.find(context.getEnvironment())
					.forEach(logger::warn);
			}
			catch (Exception ex) {
				// a help, not a condition of serving
				logger.debug("Could not check the configuration for misspelt settings", ex);
			}
		}, "balancer-settings-check");
		check.setDaemon(true);
		check.start();
	}

}
