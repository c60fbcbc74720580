package dev.balancer.health;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static org.assertj.core.api.Assertions.assertThat;

class StatusRangeTests {

	@Test
	void parsesCodesAndRanges() {
		assertThat(StatusRange.parseAll("200-299, 301,418")).containsExactly(new StatusRange(200, 299),
				new StatusRange(301, 301), new StatusRange(418, 418));
		assertThat(new StatusRange(200, 299).contains(299)).isTrue();
		assertThat(new StatusRange(200, 299).contains(300)).isFalse();
	}

	@ParameterizedTest
	@ValueSource(strings = { "", "200-", "-299", "99", "600", "299-200", "2xx", "200-299-300", "200,,301" })
	void rejectsWhatIsNotAListOfCodes(String text) {
		assertThat(StatusRange.parseAll(text)).isNull();
	}

}
