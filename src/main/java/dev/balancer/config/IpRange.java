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

import dev.balancer.routing.AddressRange;

/** An IP address or CIDR range, such as {@code 10.0.0.0/8} or {@code ::1}. */
@Documented
@Constraint(validatedBy = IpRange.Validator.class)
@Target({ ElementType.FIELD, ElementType.PARAMETER, ElementType.RECORD_COMPONENT, ElementType.TYPE_USE })
@Retention(RetentionPolicy.RUNTIME)
public @interface IpRange {

	String message() default "must be an IP address or a CIDR range such as 10.0.0.0/8";

	Class<?>[] groups() default {};

	Class<? extends Payload>[] payload() default {};

	class Validator implements ConstraintValidator<IpRange, String> {

		@Override
		public boolean isValid(String value, ConstraintValidatorContext context) {
			return value == null || AddressRange.parse(value) != null;
		}

	}

}
