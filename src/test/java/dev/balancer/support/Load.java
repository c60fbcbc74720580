package dev.balancer.support;

import java.time.Duration;
import java.util.List;
import java.util.function.IntConsumer;

import org.jspecify.annotations.Nullable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

import org.springframework.web.reactive.function.client.WebClient;

/** Bounded load on loopback: a fixed number of requests, a fixed concurrency, each result recorded. */
public final class Load {

	private Load() {
	}

	/**
	 * Sends {@code requests} GETs to {@code baseUrl + path + "/" + i}, {@code concurrency} at a time, and waits
	 * (at most {@code within}) for all of them. {@code onDone} hears the index of each request that finished.
	 */
	public static List<Result> get(String baseUrl, String path, int requests, int concurrency, Duration within,
			IntConsumer onDone) {
		WebClient client = WebClient.create(baseUrl);
		return Flux.range(0, requests)
			.flatMap((i) -> send(client, path + "/" + i).doOnNext((result) -> onDone.accept(i)), concurrency)
			.collectList()
			.block(within);
	}

	public static List<Result> get(String baseUrl, String path, int requests, int concurrency, Duration within) {
		return get(baseUrl, path, requests, concurrency, within, (i) -> {
		});
	}

	private static Mono<Result> send(WebClient client, String uri) {
		return Mono.defer(() -> {
			long start = System.nanoTime();
			return client.get()
				.uri(uri)
				.exchangeToMono((response) -> response.bodyToMono(String.class)
					.defaultIfEmpty("")
					.map((body) -> new Result(response.statusCode().value(), body, elapsed(start), null)))
				.onErrorResume((ex) -> Mono.just(new Result(0, "", elapsed(start), ex)));
		});
	}

	private static Duration elapsed(long start) {
		return Duration.ofNanos(System.nanoTime() - start);
	}

	/**
	 * One request's outcome.
	 *
	 * @param status the status, 0 when no response came
	 * @param body the body
	 * @param latency time to the whole response
	 * @param error why no response came
	 */
	public record Result(int status, String body, Duration latency, @Nullable Throwable error) {

		public boolean ok() {
			return this.status == 200;
		}

	}

}
