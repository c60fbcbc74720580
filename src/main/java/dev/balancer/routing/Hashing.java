package dev.balancer.routing;

/**
 * A fast 64-bit hash that allocates nothing: FNV-1a over the characters, finished with MurmurHash3's
 * avalanche step so that similar keys (client-7, client-8) land far apart on the ring. Not for security.
 */
final class Hashing {

	private static final long FNV_OFFSET = 0xcbf29ce484222325L;

	private static final long FNV_PRIME = 0x100000001b3L;

	private Hashing() {
	}

	static long hash(CharSequence text) {
		return hash(text, 0, text.length());
	}

	/** The hash of {@code text[from, to)} with surrounding blanks left out. */
	static long hash(CharSequence text, int from, int to) {
		int start = from;
		int end = to;
		while (start < end && text.charAt(start) == ' ') {
			start++;
		}
		while (end > start && text.charAt(end - 1) == ' ') {
			end--;
		}
		long hash = FNV_OFFSET;
		for (int i = start; i < end; i++) {
			char ch = text.charAt(i);
			hash = (hash ^ (ch & 0xFF)) * FNV_PRIME;
			hash = (hash ^ (ch >>> 8)) * FNV_PRIME;
		}
		return mix(hash);
	}

	static long hash(CharSequence text, int seed) {
		return mix(hash(text) ^ (seed * 0x9E3779B97F4A7C15L));
	}

	static long hash(long value) {
		return mix(value ^ FNV_OFFSET);
	}

	/** MurmurHash3's fmix64. */
	static long mix(long value) {
		long hash = value;
		hash ^= hash >>> 33;
		hash *= 0xff51afd7ed558ccdL;
		hash ^= hash >>> 33;
		hash *= 0xc4ceb9fe1a85ec53L;
		hash ^= hash >>> 33;
		return hash;
	}

}
