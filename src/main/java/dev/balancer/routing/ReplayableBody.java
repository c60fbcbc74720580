package dev.balancer.routing;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

import org.jspecify.annotations.Nullable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Sinks;

import org.springframework.core.io.buffer.DataBuffer;
import org.springframework.core.io.buffer.DataBufferFactory;
import org.springframework.core.io.buffer.DefaultDataBufferFactory;
import org.springframework.http.HttpHeaders;
import org.springframework.http.server.reactive.ServerHttpRequest;
import org.springframework.http.server.reactive.ServerHttpRequestDecorator;

/**
 * A request body that streams through to the first attempt and can be sent again to another backend when that
 * is safe: when no attempt has read it yet, or when it was small enough to be copied as it passed.
 * <p>
 * Bodies are never read ahead of the backend: a large upload streams with backpressure, and only the first
 * {@code bufferLimit} bytes are copied (and dropped as soon as the body turns out to be larger, or the copies of all
 * requests would take more than their {@link ReplayMemory}). The gateway's own Retry filter caches the whole body
 * instead (spring-cloud-gateway #3741). The copies' memory is given back with {@link #release()}.
 */
final class ReplayableBody {

	private static final DataBufferFactory heap = DefaultDataBufferFactory.sharedInstance;

	private final ServerHttpRequest request;

	private final long bufferLimit;

	private final long declaredLength;

	private final @Nullable ReplayMemory memory;

	private final List<byte[]> copies = new ArrayList<>();

	private volatile long copiedBytes;

	/** The copies were dropped: the body was too large to keep, or the memory for copies was all taken. */
	private volatile boolean dropped;

	/** Bytes taken from {@link #memory} for the copies; guarded by {@code this}. */
	private long taken;

	/** The request is over: nothing more is copied. Guarded by {@code this}. */
	private boolean released;

	private volatile boolean read;

	private volatile boolean completed;

	/** Completes once the client has sent all of the body; only for a request that has one. */
	private final Sinks.@Nullable Empty<Void> received;

	private ReplayableBody(ServerHttpRequest request, long bufferLimit, @Nullable ReplayMemory memory) {
		this.request = request;
		this.bufferLimit = bufferLimit;
		this.memory = memory;
		this.declaredLength = declaredLength(request.getHeaders());
		this.received = (this.declaredLength != 0) ? Sinks.empty() : null;
	}

	/**
	 * A body that can be sent again once read if it was at most {@code bufferLimit} bytes long and its copy found
	 * room in {@code memory}.
	 */
	static ReplayableBody copying(ServerHttpRequest request, long bufferLimit, ReplayMemory memory) {
		return new ReplayableBody(request, Math.max(0, bufferLimit), memory);
	}

	/** A body that can be sent again only if no attempt has read any of it. */
	static ReplayableBody unread(ServerHttpRequest request) {
		return new ReplayableBody(request, -1, null);
	}

	/** Whether the request has a body. */
	boolean hasBody() {
		return this.declaredLength != 0;
	}

	/** Completes once the client has sent the whole body; at once for a request without body. */
	Mono<Void> received() {
		return (this.received != null) ? this.received.asMono() : Mono.empty();
	}

	/** Whether another attempt can be sent the same body. */
	boolean canReplay() {
		if (!this.read) {
			return true;
		}
		if (this.bufferLimit < 0 || this.dropped) {
			return false;
		}
		// The backend may answer before the end of the body has been signalled here; a body that declared its
		// length is whole as soon as that many bytes went past.
		return this.completed || this.copiedBytes == this.declaredLength;
	}

	/** The request for the next attempt; only valid while {@link #canReplay()}. */
	ServerHttpRequest nextAttempt() {
		Flux<DataBuffer> body = this.read ? replay() : firstRead();
		return new ServerHttpRequestDecorator(this.request) {
			@Override
			public Flux<DataBuffer> getBody() {
				return body;
			}
		};
	}

	private Flux<DataBuffer> firstRead() {
		Flux<DataBuffer> body = this.request.getBody().doOnSubscribe((subscription) -> this.read = true);
		if (hasBody()) {
			// a failure of the client's body is the client's, however Reactor Netty words it, unless the balancer
			// found no buffer memory to read it into
			body = body.onErrorMap((failure) -> Objects.requireNonNullElseGet(OutOfBufferMemoryException.of(failure),
					() -> new BrokenRequestException(failure)));
		}
		if (this.bufferLimit >= 0) {
			body = body.doOnNext(this::copy);
		}
		return body.doOnComplete(this::complete);
	}

	private void complete() {
		this.completed = true;
		if (this.received != null) {
			this.received.tryEmitEmpty();
		}
	}

	private void copy(DataBuffer buffer) {
		int length = buffer.readableByteCount();
		long total = this.copiedBytes + length;
		if (!this.dropped && total <= this.bufferLimit && take(length)) {
			byte[] bytes = new byte[length];
			int position = buffer.readPosition();
			buffer.read(bytes);
			buffer.readPosition(position);
			this.copies.add(bytes);
		}
		else if (!this.dropped) {
			// too large to replay, or no room left for copies: stop holding on to any of it
			this.dropped = true;
			this.copies.clear();
			giveBack();
		}
		this.copiedBytes = total; // volatile write: publishes the copies to the thread that replays them
	}

	private synchronized boolean take(int length) {
		if (this.released || this.memory == null || !this.memory.take(length)) {
			return false;
		}
		this.taken += length;
		return true;
	}

	private synchronized void giveBack() {
		if (this.memory != null && this.taken > 0) {
			this.memory.give(this.taken);
			this.taken = 0;
		}
	}

	/**
	 * Gives the memory of the copies back, once the request is over (answered, failed or given up by its client);
	 * nothing is copied after.
	 */
	synchronized void release() {
		this.released = true;
		giveBack();
	}

	/** Whether copies of the body may be kept, so that {@link #release()} is due when the request is over. */
	boolean keepsCopies() {
		return this.bufferLimit > 0 && hasBody();
	}

	/** Whether a request with these headers has a body (RFC 9112 6.3); HTTP/2 requests are given the same headers. */
	static boolean hasBody(HttpHeaders headers) {
		return declaredLength(headers) != 0;
	}

	/** Content-Length, 0 for a request without body headers (RFC 9112 6.3), -1 when chunked. */
	private static long declaredLength(HttpHeaders headers) {
		if (headers.containsHeader(HttpHeaders.TRANSFER_ENCODING)) {
			return -1;
		}
		long length = headers.getContentLength();
		return (length >= 0) ? length : 0;
	}

	private Flux<DataBuffer> replay() {
		return Flux.fromIterable(this.copies).map(heap::wrap);
	}

}
