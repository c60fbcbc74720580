package dev.balancer.config;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import jakarta.validation.Constraint;
import jakarta.validation.ConstraintValidator;
import jakarta.validation.ConstraintValidatorContext;
import jakarta.validation.Payload;

import dev.balancer.routing.Backends;

/**
 * Each backend is listed once: the same server twice would silently get twice its share of traffic. The
 * violation names the later entry's {@code url}, e.g. {@code balancer.backends[2].url}.
 */
@Documented
@Constraint(validatedBy = UniqueBackendUrls.Validator.class)
@Target({ ElementType.FIELD, ElementType.PARAMETER, ElementType.RECORD_COMPONENT })
@Retention(RetentionPolicy.RUNTIME)
public @interface UniqueBackendUrls {

	String message() default "is listed more than once";

	Class<?>[] groups() default {};

	Class<? extends Payload>[] payload() default {};

	class Validator implements ConstraintValidator<UniqueBackendUrls, List<BalancerProperties.Backend>> {

		@Override
		public boolean isValid(List<BalancerProperties.Backend> backends, ConstraintValidatorContext context) {
			if (backends == null) {
				return true;
			}
			Map<String, Integer> seen = new HashMap<>();
			boolean valid = true;
			for (int i = 0; i < backends.size(); i++) {
				BalancerProperties.Backend backend = backends.get(i);
				if (backend == null || backend.url() == null || backend.url().getScheme() == null
						|| backend.url().getHost() == null) {
					continue; // reported by @BackendUrl
				}
				Integer first = seen.putIfAbsent(Backends.id(backend.url()), i);
				if (first != null) {
					valid = false;
					context.disableDefaultConstraintViolation();
					context
						.buildConstraintViolationWithTemplate(
								"duplicates balancer.backends[" + first + "].url: each backend must be listed once")
						.addPropertyNode("url")
						.inIterable()
						.atIndex(i)
						.addConstraintViolation();
				}
			}
			return valid;
		}

	}

}
