package dev.balancer.demo;

import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;

import org.junit.jupiter.api.Test;

import dev.balancer.support.FreePorts;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;

class DemoBackendTests {

	final HttpClient client = HttpClient.newHttpClient();

	@Test
	void answersWithItsPortMethodAndPathUntilStopped() throws Exception {
		int port = FreePorts.next();
		DemoBackend backend = DemoBackend.start(port);
		try {
			HttpResponse<String> get = send(port, "GET", "/some/path");
			assertThat(get.statusCode()).isEqualTo(200);
			assertThat(get.body()).isEqualTo("Hello from backend " + port + " (GET /some/path)\n");

			HttpResponse<String> head = send(port, "HEAD", "/");
			assertThat(head.statusCode()).isEqualTo(200);
			assertThat(head.body()).isEmpty();
		}
		finally {
			backend.stop();
		}
		assertThatExceptionOfType(ConnectException.class).isThrownBy(() -> send(port, "GET", "/"));
	}

	private HttpResponse<String> send(int port, String method, String path) throws IOException, InterruptedException {
		HttpRequest request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
			.method(method, HttpRequest.BodyPublishers.noBody())
			.build();
		return this.client.send(request, HttpResponse.BodyHandlers.ofString());
	}

}
