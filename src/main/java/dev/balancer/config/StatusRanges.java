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

import dev.balancer.health.StatusRange;

/** HTTP status codes and ranges such as {@code 200-299,301}, each between 100 and 599. */
@Documented
@Constraint(validatedBy = StatusRanges.Validator.class)
@Target({ ElementType.FIELD, ElementType.PARAMETER, ElementType.RECORD_COMPONENT })
@Retention(RetentionPolicy.RUNTIME)
public @interface StatusRanges {

	String message() default "must list status codes or ranges between 100 and 599, such as 200-299,301";

	Class<?>[] groups() default {};

	Class<? extends Payload>[] payload() default {};

	class Validator implements ConstraintValidator<StatusRanges, String> {

		@Override
		public boolean isValid(String value, ConstraintValidatorContext context) {
			return value == null || StatusRange.parseAll(value) != null;
		}

	}

}
