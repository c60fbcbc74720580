package dev.balancer.routing;

import java.net.InetAddress;
import java.net.UnknownHostException;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

import static org.assertj.core.api.Assertions.assertThat;

class AddressRangeTests {

	@ParameterizedTest
	@CsvSource({ "10.0.0.0/8, 10.255.1.2, true", "10.0.0.0/8, 11.0.0.1, false", "192.168.1.0/24, 192.168.1.77, true",
			"192.168.1.0/24, 192.168.2.1, false", "192.168.1.7, 192.168.1.7, true", "192.168.1.7, 192.168.1.8, false",
			"192.168.1.7/32, 192.168.1.7, true", "0.0.0.0/0, 8.8.8.8, true", "172.16.0.0/12, 172.31.255.255, true",
			"172.16.0.0/12, 172.32.0.1, false", "10.0.0.2/31, 10.0.0.3, true", "10.0.0.2/31, 10.0.0.4, false",
			"::1, ::1, true", "::1, ::2, false", "fd00::/8, fd12:3456::1, true", "fd00::/8, fe80::1, false",
			"10.0.0.0/8, ::ffff:10.1.2.3, true", "::ffff:10.0.0.0/104, 10.1.2.3, true" })
	void matchesAddressesInsideTheRangeOnly(String range, String address, boolean inside) throws UnknownHostException {
		AddressRange parsed = AddressRange.parse(range);
		assertThat(parsed).isNotNull();
		assertThat(parsed.contains(InetAddress.getByName(address))).isEqualTo(inside);
	}

	@ParameterizedTest
	@ValueSource(strings = { "10.0.0.0/33", "abc", "10.0.0", "1.2.3.4/x", "1.2.3.4/-1", "localhost", "", "::1/129" })
	void rejectsWhatIsNotAnAddressOrRange(String text) {
		assertThat(AddressRange.parse(text)).isNull();
	}

	@Test
	void containsNoUnknownAddress() {
		assertThat(AddressRange.parse("0.0.0.0/0").contains(null)).isFalse();
	}

}
