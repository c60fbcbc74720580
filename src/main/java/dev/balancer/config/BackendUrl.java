package dev.balancer.config;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import java.net.URI;

import jakarta.validation.Constraint;
import jakarta.validation.ConstraintValidator;
import jakarta.validation.ConstraintValidatorContext;
import jakarta.validation.Payload;

/**
 * A backend URL: absolute {@code http} or {@code https} with a host, and nothing after the port, because
 * requests keep their own path and query when they are forwarded.
 */
@Documented
@Constraint(validatedBy = BackendUrl.Validator.class)
@Target({ ElementType.FIELD, ElementType.PARAMETER, ElementType.RECORD_COMPONENT })
@Retention(RetentionPolicy.RUNTIME)
public @interface BackendUrl {

	String message() default "must be an absolute http or https URL with a host and no path, query or fragment, like http://10.0.0.5:8081";

	Class<?>[] groups() default {};

	Class<? extends Payload>[] payload() default {};

	class Validator implements ConstraintValidator<BackendUrl, URI> {

		private static final int MAX_PORT = 65535;

		@Override
		public boolean isValid(URI url, ConstraintValidatorContext context) {
			if (url == null) {
				return true;
			}
			String scheme = url.getScheme();
			boolean hasNoPath = url.getRawPath() == null || url.getRawPath().isEmpty() || url.getRawPath().equals("/");
			boolean valid = ("http".equalsIgnoreCase(scheme) || "https".equalsIgnoreCase(scheme))
					&& url.getHost() != null && url.getRawUserInfo() == null && hasNoPath && url.getRawQuery() == null
					&& url.getRawFragment() == null;
			if (valid && (url.getPort() == 0 || url.getPort() > MAX_PORT)) {
				// java.net.URI takes any number for a port: http://host:99999 started, with a backend always DOWN
				context.disableDefaultConstraintViolation();
				context.buildConstraintViolationWithTemplate("must have a port from 1 to 65535, like "
						+ "http://10.0.0.5:8081").addConstraintViolation();
				return false;
			}
			return valid;
		}

	}

}
