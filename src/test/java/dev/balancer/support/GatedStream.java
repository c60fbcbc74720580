package dev.balancer.support;

import java.time.Duration;

import org.reactivestreams.Publisher;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Sinks;
import reactor.netty.http.client.HttpClient;
import reactor.netty.http.server.HttpServerRequest;
import reactor.netty.http.server.HttpServerResponse;

/**
 * A response streamed in two pieces, the second sent only once the client has the first: held anywhere until
 * the response ends, it never ends, and {@link #read} fails after its patience.
 */
public final class GatedStream {

	private final Sinks.One<Void> clientHasFirstPiece = Sinks.one();

	/** The backend's side, a Reactor Netty route handler: {@code first;}, then {@code second;}. */
	public Publisher<Void> serve(HttpServerRequest request, HttpServerResponse response) {
		return response.sendString(
				Flux.concat(Mono.just("first;"), this.clientHasFirstPiece.asMono().then(Mono.just("second;"))));
	}

	/** The client's side: the whole body, telling the backend when the first piece arrived. */
	public String read(HttpClient client, String uri, Duration patience) {
		return client.get()
			.uri(uri)
			.responseContent()
			.asString()
			.doOnNext((piece) -> {
				if (piece.contains("first;")) {
					this.clientHasFirstPiece.tryEmitEmpty();
				}
			})
			.collect(StringBuilder::new, StringBuilder::append)
			.map(StringBuilder::toString)
			.block(patience);
	}

}
