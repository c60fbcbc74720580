package dev.balancer.routing;

import java.net.InetAddress;
import java.util.List;

import io.netty.util.NetUtil;
import org.jspecify.annotations.Nullable;

/**
 * An IP address or CIDR range ({@code 10.0.0.0/8}, {@code 192.168.1.7}, {@code fd00::/8}) that an address is
 * tested against.
 */
public final class AddressRange {

	private final byte[] network;

	private final int prefixLength;

	private AddressRange(byte[] network, int prefixLength) {
		this.network = network;
		this.prefixLength = prefixLength;
	}

	/** Parses an address or range; {@code null} when the text is neither. Never resolves host names. */
	public static @Nullable AddressRange parse(String text) {
		String trimmed = text.trim();
		int slash = trimmed.indexOf('/');
		String address = (slash < 0) ? trimmed : trimmed.substring(0, slash);
		byte[] bytes = NetUtil.createByteArrayFromIpAddressString(address);
		if (bytes == null) {
			return null;
		}
		int maxLength = bytes.length * 8;
		int prefixLength = maxLength;
		if (slash >= 0) {
			try {
				prefixLength = Integer.parseInt(trimmed.substring(slash + 1));
			}
			catch (NumberFormatException ex) {
				return null;
			}
			if (prefixLength < 0 || prefixLength > maxLength) {
				return null;
			}
		}
		return new AddressRange(bytes, prefixLength);
	}

	/** Parses validated addresses and ranges ({@code balancer.trusted-proxies}). */
	public static List<AddressRange> parseAll(List<String> texts) {
		return texts.stream().map(AddressRange::parse).toList();
	}

	/** Whether any of the ranges contains the address. */
	public static boolean anyContains(List<AddressRange> ranges, @Nullable InetAddress address) {
		for (AddressRange range : ranges) {
			if (range.contains(address)) {
				return true;
			}
		}
		return false;
	}

	public boolean contains(@Nullable InetAddress address) {
		if (address == null) {
			return false;
		}
		byte[] candidate = address.getAddress();
		if (candidate.length != this.network.length) {
			candidate = convert(address, this.network.length);
			if (candidate == null) {
				return false;
			}
		}
		int fullBytes = this.prefixLength / 8;
		for (int i = 0; i < fullBytes; i++) {
			if (candidate[i] != this.network[i]) {
				return false;
			}
		}
		int remainingBits = this.prefixLength % 8;
		if (remainingBits == 0) {
			return true;
		}
		int mask = (0xFF << (8 - remainingBits)) & 0xFF;
		return (candidate[fullBytes] & mask) == (this.network[fullBytes] & mask);
	}

	// An IPv4 client on a dual-stack socket may show up as ::ffff:a.b.c.d and the other way round.
	private static byte @Nullable [] convert(InetAddress address, int length) {
		byte[] bytes = address.getAddress();
		if (length == 4 && bytes.length == 16) {
			for (int i = 0; i < 10; i++) {
				if (bytes[i] != 0) {
					return null;
				}
			}
			if (bytes[10] != (byte) 0xFF || bytes[11] != (byte) 0xFF) {
				return null;
			}
			return new byte[] { bytes[12], bytes[13], bytes[14], bytes[15] };
		}
		if (length == 16 && bytes.length == 4) {
			return mapped(bytes);
		}
		return null;
	}

	private static byte[] mapped(byte[] ipv4) {
		byte[] bytes = new byte[16];
		bytes[10] = (byte) 0xFF;
		bytes[11] = (byte) 0xFF;
		System.arraycopy(ipv4, 0, bytes, 12, 4);
		return bytes;
	}

}
