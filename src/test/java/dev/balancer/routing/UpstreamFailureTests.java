package dev.balancer.routing;

import java.io.IOException;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.List;

import javax.net.ssl.SSLHandshakeException;

import io.netty.channel.ConnectTimeoutException;
import io.netty.handler.codec.EncoderException;
import io.netty.handler.codec.dns.DefaultDnsQuestion;
import io.netty.handler.codec.dns.DnsRecordType;
import io.netty.handler.codec.http.TooLongHttpHeaderException;
import io.netty.handler.codec.http.TooLongHttpLineException;
import io.netty.handler.ssl.NotSslRecordException;
import io.netty.handler.ssl.util.SelfSignedCertificate;
import io.netty.resolver.dns.DnsNameResolverTimeoutException;
import org.junit.jupiter.api.Test;
import reactor.netty.channel.AbortedException;
import reactor.netty.http.Http11SslContextSpec;
import reactor.netty.http.client.HttpClient;

import dev.balancer.support.FreePorts;
import dev.balancer.support.TlsBackend;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

class UpstreamFailureTests {

	private static final Duration PATIENCE = Duration.ofSeconds(5);

	@Test
	void connectFailuresMeanNothingReachedTheBackend() {
		assertThat(UpstreamFailure.of(new ConnectException("Connection refused"))).isEqualTo(UpstreamFailure.CONNECT);
		assertThat(UpstreamFailure.of(new ConnectTimeoutException("timed out"))).isEqualTo(UpstreamFailure.CONNECT);
		assertThat(UpstreamFailure.of(new UnknownHostException("nowhere"))).isEqualTo(UpstreamFailure.CONNECT);
		assertThat(UpstreamFailure.of(new IllegalStateException(new ConnectException("refused"))))
			.isEqualTo(UpstreamFailure.CONNECT);
		assertThat(UpstreamFailure.of(new IOException(new ConnectException("refused"))))
			.isEqualTo(UpstreamFailure.CONNECT);
	}

	@Test
	void otherIoFailuresAreResets() {
		assertThat(UpstreamFailure.of(new IOException("Connection reset by peer"))).isEqualTo(UpstreamFailure.RESET);
		// Seen when a backend dies under load: a pooled connection closes as a request is about to be sent.
		assertThat(UpstreamFailure.of(new AbortedException("Connection has been closed BEFORE send operation")))
			.isEqualTo(UpstreamFailure.RESET);
		assertThat(UpstreamFailure.of(new IllegalStateException("bug"))).isEqualTo(UpstreamFailure.OTHER);
	}

	@Test
	void aRequestBodyThatBrokeOffIsTheClientsDoingThoughNettySaysItAsForABackend() {
		Throwable gone = new IllegalStateException(
				new BrokenRequestException(new AbortedException("Connection has been closed")));
		Throwable malformed = new BrokenRequestException(new IllegalArgumentException("invalid chunk size"));

		assertThat(List.of(gone, malformed)).extracting(UpstreamFailure::of)
			.containsOnly(UpstreamFailure.CLIENT_ABORT);
		assertThat(UpstreamFailure.CLIENT_ABORT.isBackendsFault()).isFalse();
		assertThat(UpstreamFailure.describe(gone))
			.isEqualTo("the client closed the connection in the middle of its request body");
		assertThat(UpstreamFailure.describe(malformed))
			.isEqualTo("the client's request body is not valid: invalid chunk size");
	}

	/** What a response's write fails with when Netty's HTTP encoder finds no buffer memory, on HTTP/2 too. */
	@Test
	void noBufferMemoryForTheResponseIsNoBufferMemoryToo() {
		Throwable noMemory = new EncoderException(new OutOfMemoryError("failed to allocate 131072 byte(s)"));

		assertThat(UpstreamFailure.of(noMemory)).isEqualTo(UpstreamFailure.NO_BUFFER_MEMORY);
	}

	@Test
	void noBufferMemoryForTheRequestBodyIsNeitherTheBackendsNorTheClientsDoing() {
		Throwable noMemory = new IllegalStateException(
				OutOfBufferMemoryException.of(new RuntimeException(new OutOfMemoryError("Direct buffer memory"))));

		UpstreamFailure kind = UpstreamFailure.of(noMemory);

		assertThat(kind).isEqualTo(UpstreamFailure.NO_BUFFER_MEMORY);
		assertThat(kind.tag()).isEqualTo("no_buffer_memory");
		assertThat(kind.isBackendsFault()).isFalse();
		assertThat(kind.isClientsDoing()).isFalse();
	}

	@Test
	void anAttemptCalledOffIsTheBackendsTimeoutWhenTheRequestTimedOutAndElseTheClientsDoing() {
		Throwable timedOut = AttemptCancelledException.ofRequestTimeout(Duration.ofMillis(500));
		Throwable gone = AttemptCancelledException.ofClientGone();

		assertThat(UpstreamFailure.of(timedOut)).isEqualTo(UpstreamFailure.TIMEOUT);
		assertThat(UpstreamFailure.describe(timedOut)).isEqualTo("no response within the request timeout of 500 ms");
		assertThat(UpstreamFailure.of(gone)).isEqualTo(UpstreamFailure.CLIENT_ABORT);
		assertThat(UpstreamFailure.describe(gone)).isEqualTo("the client went away while waiting for the response");
	}

	@Test
	void aResponseHeadNettyCouldNotDecodeIsAnInvalidResponseThatSaysWhichLimitToRaise() {
		Throwable garbage = new BackendResponseHeads.InvalidResponseException(
				new IllegalArgumentException("invalid version format: HELLO"));
		Throwable longHeader = new BackendResponseHeads.InvalidResponseException(
				new TooLongHttpHeaderException("HTTP header is larger than 8192 bytes."));
		Throwable longLine = new BackendResponseHeads.InvalidResponseException(
				new TooLongHttpLineException("An HTTP line is larger than 4096 bytes."));

		assertThat(List.of(garbage, longHeader, longLine)).extracting(UpstreamFailure::of)
			.containsOnly(UpstreamFailure.INVALID_RESPONSE);
		assertThat(UpstreamFailure.describe(garbage)).isEqualTo("invalid response: invalid version format: HELLO");
		assertThat(UpstreamFailure.describe(longHeader)).isEqualTo("invalid response: HTTP header is larger than "
				+ "8192 bytes. (raise spring.cloud.gateway.server.webflux.httpclient.max-header-size)");
		assertThat(UpstreamFailure.describe(longLine)).isEqualTo("invalid response: An HTTP line is larger than "
				+ "4096 bytes. (raise spring.cloud.gateway.server.webflux.httpclient.max-initial-line-length)");
		assertThat(UpstreamFailure.of(new IllegalArgumentException("invalid version format: HELLO")))
			.isEqualTo(UpstreamFailure.OTHER);
	}

	/** Netty reports a status code that is not a number in {@code Integer.parseInt}'s words. */
	@Test
	void aStatusCodeThatIsNotANumberIsSaidToBeOne() {
		Throwable wordy = new BackendResponseHeads.InvalidResponseException(
				new NumberFormatException("For input string: \"abc\""));
		Throwable withControlCharacters = new BackendResponseHeads.InvalidResponseException(
				new NumberFormatException("For input string: \"2\u001b[0m\""));

		assertThat(UpstreamFailure.describe(wordy)).isEqualTo("invalid response: the status code is not a number: "
				+ "\"abc\"");
		assertThat(UpstreamFailure.describe(withControlCharacters))
			.isEqualTo("invalid response: the status code is not a number: \"2?[0m\"");
	}

	@Test
	void describesFailuresInAFewWords() {
		assertThat(UpstreamFailure.describe(new ConnectException("Connection refused: /127.0.0.1:1")))
			.isEqualTo("connection refused");
		assertThat(UpstreamFailure.describe(new ConnectTimeoutException("connection timed out after 2000 ms")))
			.isEqualTo("connect timed out");
		assertThat(UpstreamFailure.describe(new IOException("recvAddress(..) failed: Connection reset by peer")))
			.isEqualTo("connection reset");
		assertThat(UpstreamFailure.describe(new UnknownHostException("backend.invalid")))
			.isEqualTo("unknown host backend.invalid");
		assertThat(UpstreamFailure.describe(new IllegalStateException("odd"))).isEqualTo("IllegalStateException: odd");
		Exception unanswered = new WebSocketProxyFilter.UnansweredHandshakeException(
				new IllegalStateException("Connection prematurely closed BEFORE opening handshake is complete."));
		assertThat(UpstreamFailure.of(unanswered)).isEqualTo(UpstreamFailure.RESET);
		assertThat(UpstreamFailure.describe(unanswered))
			.isEqualTo("connection closed before the WebSocket handshake was answered");
		assertThat(UpstreamFailure.describe(new SSLHandshakeException("Received fatal alert: protocol_version")))
			.isEqualTo("TLS handshake failed: Received fatal alert: protocol_version");
	}

	/**
	 * An {@code https} backend that answers in plain HTTP: no request went out, so it is retried as a failed connect;
	 * the reason is short, where Netty's message holds the backend's whole answer in hex.
	 */
	@Test
	void aBackendThatDoesNotSpeakTlsFailsAsAConnectWithAShortReason() {
		NotSslRecordException plain = new NotSslRecordException("not an SSL/TLS record: " + "3c21444f43".repeat(400));

		assertThat(UpstreamFailure.of(plain)).isEqualTo(UpstreamFailure.CONNECT);
		assertThat(UpstreamFailure.describe(plain))
			.isEqualTo("TLS handshake failed: the backend does not speak TLS (plain HTTP on an https URL?)");
	}

	/** What Netty's DNS resolver, which Reactor Netty's client uses, says, and why it could not resolve. */
	@Test
	void namesTheHostNettyCouldNotResolveAndWhetherTheDnsServerAnswered() {
		UnknownHostException noSuchName = new UnknownHostException(
				"Failed to resolve 'backend.invalid' [A(1), AAAA(28)] after 2 queries ");
		UnknownHostException noAnswer = new UnknownHostException(
				"Failed to resolve 'backend.internal' [A(1)] after 4 queries ");
		noAnswer.initCause(new DnsNameResolverTimeoutException(new InetSocketAddress("10.96.0.10", 53),
				new DefaultDnsQuestion("backend.internal.", DnsRecordType.A), "query timed out after 5000 milliseconds"));

		assertThat(UpstreamFailure.describe(noSuchName)).isEqualTo("unknown host backend.invalid");
		assertThat(UpstreamFailure.describe(noAnswer))
			.isEqualTo("unknown host backend.internal (no answer from the DNS server)");
		assertThat(UpstreamFailure.of(noAnswer)).isEqualTo(UpstreamFailure.CONNECT);
	}

	@Test
	void aRealUntrustedCertificateIsAConnectFailureThatSaysWhatToConfigure() {
		try (TlsBackend tlsBackend = TlsBackend.start()) {
			Throwable failure = catchThrowable(
					() -> HttpClient.create().get().uri(tlsBackend.url() + "/").response().block(PATIENCE));

			assertThat(UpstreamFailure.of(failure)).isEqualTo(UpstreamFailure.CONNECT);
			assertThat(UpstreamFailure.describe(failure))
				.isEqualTo("TLS handshake failed: the backend's certificate is not trusted (trust it with "
						+ "spring.cloud.gateway.server.webflux.httpclient.ssl.trusted-x509-certificates)");
		}
	}

	@Test
	void aBackendThatWantsAClientCertificateSaysWhereToSetOne() {
		SelfSignedCertificate expected = TlsBackend.selfSigned();
		try (TlsBackend tlsBackend = TlsBackend.requiringClientCertificate(expected.certificate())) {
			Throwable failure = catchThrowable(() -> HttpClient.create()
				.secure((tls) -> tls.sslContext(Http11SslContextSpec.forClient()
					.configure((builder) -> builder.trustManager(tlsBackend.certificate()))))
				.get()
				.uri(tlsBackend.url() + "/")
				.response()
				.block(PATIENCE));

			assertThat(UpstreamFailure.of(failure)).isEqualTo(UpstreamFailure.CONNECT);
			assertThat(UpstreamFailure.describe(failure))
				.startsWith("TLS handshake failed: the backend refused the balancer's client certificate or wants one")
				.endsWith("; set one with spring.cloud.gateway.server.webflux.httpclient.ssl.ssl-bundle)");
		}
		finally {
			expected.delete();
		}
	}

	@Test
	void aRealRefusedConnectionIsAConnectFailure() {
		int closedPort = FreePorts.next();
		Throwable failure = catchThrowable(() -> HttpClient.create()
			.get()
			.uri("http://127.0.0.1:" + closedPort + "/")
			.response()
			.block(Duration.ofSeconds(5)));

		assertThat(UpstreamFailure.of(failure)).isEqualTo(UpstreamFailure.CONNECT);
		assertThat(UpstreamFailure.describe(failure)).isEqualTo("connection refused");
		assertThat(UpstreamFailure.CONNECT.tag()).isEqualTo("connect_error");
	}

}
