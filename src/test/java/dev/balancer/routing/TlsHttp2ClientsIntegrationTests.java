package dev.balancer.routing;

import java.io.IOException;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.time.Duration;
import java.util.List;

import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLHandshakeException;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;

import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.ssl.util.InsecureTrustManagerFactory;
import io.netty.handler.ssl.util.SelfSignedCertificate;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import reactor.netty.http.Http2SslContextSpec;
import reactor.netty.http.HttpProtocol;
import reactor.netty.http.client.HttpClient;

import dev.balancer.metrics.ClientErrors;
import dev.balancer.support.BalancerTestProperties;
import dev.balancer.support.Http2Requests;
import dev.balancer.support.Http2Requests.Answer;
import dev.balancer.support.RawRequests;
import dev.balancer.support.TestBackend;
import dev.balancer.support.TestBackend.RecordedRequest;
import dev.balancer.support.TlsBackend;

import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.context.SpringBootTest.WebEnvironment;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.annotation.DirtiesContext;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;
import static org.awaitility.Awaitility.await;

/**
 * Over TLS with HTTP/2 offered ({@code server.http2.enabled=true}), the client's choice in the handshake (ALPN)
 * decides the protocol, and Reactor Netty sets up the connection for it only then: HTTP/2 clients are proxied, and
 * they and HTTP/1.1 clients, whether they choose it or offer no choice, get the balancer's checks of request heads
 * ({@link ClientRequestHeads}), which a server offering HTTP/2 left out.
 */
@SpringBootTest(webEnvironment = WebEnvironment.RANDOM_PORT, properties = "server.http2.enabled=true")
@DirtiesContext
@ExtendWith(OutputCaptureExtension.class)
class TlsHttp2ClientsIntegrationTests {

	static final SelfSignedCertificate certificate = TlsBackend.selfSigned();

	static final TestBackend backend = TestBackend.start("one");

	static final String MALFORMED = "GET /50%off HTTP/1.1\r\nHost: localhost\r\n\r\n";

	static final String REFUSED = "{\"status\":400,\"error\":\"Bad Request\",\"message\":\"The request is not valid HTTP: "
			+ "a malformed percent-escape in the request target\"}";

	@DynamicPropertySource
	static void balancer(DynamicPropertyRegistry registry) {
		BalancerTestProperties.register(registry, List.of(backend));
		registry.add("server.ssl.certificate", () -> "file:" + certificate.certificate().getAbsolutePath());
		registry.add("server.ssl.certificate-private-key", () -> "file:" + certificate.privateKey().getAbsolutePath());
	}

	@AfterAll
	static void stop() {
		backend.stop();
		certificate.delete();
	}

	@LocalServerPort
	int port;

	@Test
	void anHttp2ClientIsProxied() {
		backend.clear();
		List<Object> answer = HttpClient.create()
			.protocol(HttpProtocol.H2)
			.secure((tls) -> tls.sslContext(Http2SslContextSpec.forClient()
				.configure((builder) -> builder.trustManager(InsecureTrustManagerFactory.INSTANCE))))
			.get()
			.uri("https://127.0.0.1:" + this.port + "/over-h2")
			.responseSingle((response, body) -> body.asString()
				.map((text) -> List.<Object>of(response.status().code(), response.version(), text)))
			.block(Duration.ofSeconds(10));

		assertThat(answer).containsExactly(200, HttpVersion.valueOf("HTTP/2.0"), "one");
		assertThat(backend.requests()).extracting(RecordedRequest::path).containsExactly("/over-h2");
	}

	/** HTTP/2 streams over TLS get the checks too, and a refused one leaves the connection serving the others. */
	@Test
	void anHttp2ClientsRequestThatIsNotValidHttpGetsTheBalancersAnswer() throws Exception {
		backend.clear();
		try (Http2Requests connection = Http2Requests.tls(this.port)) {
			Answer refused = connection.send(Http2Requests.headers("GET", "/50%off", "localhost"));
			Answer next = connection.send(Http2Requests.headers("GET", "/caf\u00c3\u00a9", "localhost"));

			assertThat(List.of(refused.status(), refused.body())).containsExactly(400, REFUSED);
			assertThat(List.of(next.status(), next.body())).containsExactly(200, "one");
		}
		assertThat(backend.requests()).extracting(RecordedRequest::path).containsExactly("/caf%C3%A9");
	}

	/** As in clear text: a reset stream or a closed connection, and one INFO line each, no stack trace. */
	@Test
	void malformedHttp2RequestsLeaveOneLineEach(CapturedOutput output) throws Exception {
		Http2ClientsIntegrationTests.assertMalformedRequestsLeaveOneLineEach(() -> Http2Requests.tls(this.port),
				output);
	}

	@Test
	void anHttp11ClientThatChoosesItGetsTheChecks() throws Exception {
		assertThat(RawRequests.untilClosed(connect("http/1.1"), MALFORMED)).startsWith("HTTP/1.1 400 Bad Request\r\n")
			.endsWith(REFUSED);
	}

	@Test
	void anHttp11ClientThatOffersNoChoiceGetsTheChecks() throws Exception {
		assertThat(RawRequests.untilClosed(connect(), MALFORMED)).startsWith("HTTP/1.1 400 Bad Request\r\n")
			.endsWith(REFUSED);
	}

	@Test
	void anHttp11ClientsValidRequestIsProxied() throws Exception {
		backend.clear();

		assertThat(RawRequests.untilClosed(connect("http/1.1"),
				"GET /caf\u00c3\u00a9 HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"))
			.startsWith("HTTP/1.1 200 OK\r\n")
			.endsWith("one");
		assertThat(backend.requests()).extracting(RecordedRequest::path).containsExactly("/caf%C3%A9");
	}

	@Test
	void aPlainHttpRequestGetsA400SayingToUseHttps() throws IOException {
		long plain = ClientErrors.timesRefused(ClientErrors.Reason.PLAIN_HTTP);
		long handshakes = ClientErrors.timesRefused(ClientErrors.Reason.TLS_HANDSHAKE);

		assertThat(RawRequests.untilClosed(this.port, "GET /plain HTTP/1.1\r\nHost: localhost\r\n\r\n"))
			.startsWith("HTTP/1.1 400 Bad Request\r\n")
			.contains("\"message\":\"The request was sent without TLS to a port that takes TLS: use https://\"");
		assertThat(ClientErrors.timesRefused(ClientErrors.Reason.PLAIN_HTTP)).isEqualTo(plain + 1);
		assertThat(ClientErrors.timesRefused(ClientErrors.Reason.TLS_HANDSHAKE)).as("not a TLS handshake")
			.isEqualTo(handshakes);
	}

	/**
	 * Netty's protocol negotiation logged every failed handshake at WARN with a stack trace, where a server without
	 * HTTP/2 logs none: a scanner could fill the log. The connection is closed quietly, as without HTTP/2.
	 */
	@Test
	void aFailedHandshakeClosesTheConnectionWithoutAWarning(CapturedOutput output)
			throws IOException, InterruptedException {
		long before = ClientErrors.timesRefused(ClientErrors.Reason.TLS_HANDSHAKE);
		String[] attempts = { "\u0016\u0003\u0001\u0000\u0010" + "x".repeat(16), "\u0016\u0003\u0001\u0002\u0000abc" };
		for (String attempt : attempts) {
			try (Socket socket = new Socket("127.0.0.1", this.port)) {
				socket.setSoTimeout(5000);
				socket.getOutputStream().write(attempt.getBytes(StandardCharsets.ISO_8859_1));
				socket.shutdownOutput(); // the second ends in the middle of its record
				socket.getInputStream().readAllBytes();
			}
		}
		Thread.sleep(200); // the log lines of the close follow it
		assertThat(output.getOut()).doesNotContain("TLS handshake failed")
			.doesNotContain("application-level protocol")
			.doesNotContain("\tat ");
		assertThat(ClientErrors.timesRefused(ClientErrors.Reason.TLS_HANDSHAKE)).as("counted once each")
			.isEqualTo(before + attempts.length);
	}

	/**
	 * A client that does not trust the certificate, the failure an operator looks for after changing it: the client
	 * ends the handshake with an alert, and the failure is counted.
	 */
	@Test
	void aClientThatRefusesTheCertificateIsCountedAsAFailedHandshake() throws Exception {
		long before = ClientErrors.timesRefused(ClientErrors.Reason.TLS_HANDSHAKE);
		SSLContext trustingOnlyPublicAuthorities = SSLContext.getInstance("TLS");
		trustingOnlyPublicAuthorities.init(null, null, null);
		try (SSLSocket socket = (SSLSocket) trustingOnlyPublicAuthorities.getSocketFactory()
			.createSocket("127.0.0.1", this.port)) {
			assertThatExceptionOfType(SSLHandshakeException.class).isThrownBy(socket::startHandshake);
		}

		await().atMost(Duration.ofSeconds(5))
			.untilAsserted(() -> assertThat(ClientErrors.timesRefused(ClientErrors.Reason.TLS_HANDSHAKE))
				.isEqualTo(before + 1));
	}

	/**
	 * A connection closed before it sent anything, as by a TCP health check or a port scan, tried no handshake, and
	 * is not counted as a failed one; nor is one whose handshake succeeded.
	 */
	@Test
	void aConnectionClosedBeforeAnyTlsRecordIsNotAFailedHandshake() throws Exception {
		long before = ClientErrors.timesRefused(ClientErrors.Reason.TLS_HANDSHAKE);
		try (Socket socket = new Socket("127.0.0.1", this.port)) {
			socket.setSoTimeout(5000);
			socket.getOutputStream().write("\u0016\u0003".getBytes(StandardCharsets.ISO_8859_1)); // less than a header
			socket.shutdownOutput();
			assertThat(socket.getInputStream().readAllBytes()).isEmpty();
		}
		try (Socket silent = new Socket("127.0.0.1", this.port)) {
			silent.setSoTimeout(100);
		}
		try (SSLSocket done = connect("http/1.1")) {
			assertThat(RawRequests.untilClosed(done, MALFORMED)).startsWith("HTTP/1.1 400 Bad Request\r\n");
		}

		assertThat(anHttp11Client()).startsWith("HTTP/1.1 200 OK\r\n"); // by then the closes above were handled
		assertThat(ClientErrors.timesRefused(ClientErrors.Reason.TLS_HANDSHAKE)).isEqualTo(before);
	}

	private String anHttp11Client() throws Exception {
		return RawRequests.untilClosed(connect("http/1.1"),
				"GET /after HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
	}

	/** A TLS connection, handshake done, offering the given protocols in ALPN (none: no ALPN at all). */
	private SSLSocket connect(String... protocols) throws IOException, GeneralSecurityException {
		SSLContext context = SSLContext.getInstance("TLS");
		context.init(null, InsecureTrustManagerFactory.INSTANCE.getTrustManagers(), null);
		SSLSocket socket = (SSLSocket) context.getSocketFactory().createSocket("127.0.0.1", this.port);
		if (protocols.length > 0) {
			SSLParameters parameters = socket.getSSLParameters();
			parameters.setApplicationProtocols(protocols);
			socket.setSSLParameters(parameters);
		}
		socket.startHandshake();
		return socket;
	}

}
