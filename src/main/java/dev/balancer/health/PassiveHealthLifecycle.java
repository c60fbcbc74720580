package dev.balancer.health;

import dev.balancer.routing.AttemptOutcome;
import dev.balancer.routing.UpstreamFailure;

/**
 * Takes a backend out of rotation as soon as a request fails to connect to it, without waiting for the next
 * probe (the seed does the same). Resets and error responses do not count: the backend was reachable.
 */
public class PassiveHealthLifecycle implements AttemptOutcome.Listener {

	private final BackendHealthRegistry registry;

	public PassiveHealthLifecycle(BackendHealthRegistry registry) {
		this.registry = registry;
	}

	@Override
	public void onOutcome(AttemptOutcome outcome) {
		if (outcome.failure() == UpstreamFailure.CONNECT && outcome.error() != null) {
			this.registry.markDown(outcome.backend(), outcome.error());
		}
	}

}
