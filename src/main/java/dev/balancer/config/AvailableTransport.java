package dev.balancer.config;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

import jakarta.validation.Constraint;
import jakarta.validation.ConstraintValidator;
import jakarta.validation.ConstraintValidatorContext;
import jakarta.validation.Payload;

import dev.balancer.config.BalancerProperties.Transport;

/** A network transport this machine can run; the report says why not and what to use instead. */
@Documented
@Constraint(validatedBy = AvailableTransport.Validator.class)
@Target({ ElementType.FIELD, ElementType.PARAMETER, ElementType.RECORD_COMPONENT, ElementType.TYPE_USE })
@Retention(RetentionPolicy.RUNTIME)
public @interface AvailableTransport {

	String message() default "is not available on this machine";

	Class<?>[] groups() default {};

	Class<? extends Payload>[] payload() default {};

	class Validator implements ConstraintValidator<AvailableTransport, Transport> {

		@Override
		public boolean isValid(Transport transport, ConstraintValidatorContext context) {
			Throwable cause = (transport != null) ? TransportLoopResources.unavailability(transport) : null;
			if (cause == null) {
				return true;
			}
			String reason = "is not available on this machine (" + cause.getMessage()
					+ "); use auto, which falls back to the best transport available";
			context.disableDefaultConstraintViolation();
			// Escaped: the reason is not a message template, and may hold braces or dollar signs.
			context.buildConstraintViolationWithTemplate(reason.replaceAll("([\\\\{}$])", "\\\\$1"))
				.addConstraintViolation();
			return false;
		}

	}

}
