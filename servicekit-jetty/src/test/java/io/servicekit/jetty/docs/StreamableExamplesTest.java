package io.servicekit.jetty.docs;

import static org.assertj.core.api.Assertions.assertThat;

import io.servicekit.jetty.ServiceKitServer;
import io.servicekit.jetty.StreamableServe;
import io.servicekit.sse.SseParser;
import io.servicekit.sse.SseParser.Event;
import io.servicekit.testkit.DocSnippets;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** Runs the samples of docs/streamable.md and checks that the page quotes compiled code. */
class StreamableExamplesTest {
  private static final HttpClient HTTP = HttpClient.newHttpClient();

  private static HttpResponse<String> post(URI uri, String body, String accept) throws Exception {
    return HTTP.send(
        HttpRequest.newBuilder(uri)
            .header("Accept", accept)
            .header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString(body))
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void basicEndpointAnswersJsonOrAStream() throws Exception {
    try (ServiceKitServer server =
        StreamableExamples.basic(ServiceKitServer.builder().port(0)).build().start()) {
      URI uri = server.uri().resolve("/rpc");
      HttpResponse<String> json = post(uri, "{}", "application/json");
      assertThat(json.body()).isEqualTo("{\"result\":42}");

      HttpResponse<String> stream = post(uri, "{}", "application/json, text/event-stream");
      assertThat(stream.headers().firstValue("Content-Type")).hasValue("text/event-stream");
      assertThat(SseParser.parse(stream.body()))
          .extracting(Event::type, Event::data)
          .containsExactly(
              org.assertj.core.groups.Tuple.tuple("progress", "{\"pct\":0}"),
              org.assertj.core.groups.Tuple.tuple("progress", "{\"pct\":50}"),
              org.assertj.core.groups.Tuple.tuple("progress", "{\"pct\":100}"),
              org.assertj.core.groups.Tuple.tuple("result", "{\"result\":42}"));

      // q=0 refuses the stream.
      assertThat(post(uri, "{}", "application/json, text/event-stream;q=0").body())
          .isEqualTo("{\"result\":42}");

      HttpResponse<String> get =
          HTTP.send(HttpRequest.newBuilder(uri).build(), HttpResponse.BodyHandlers.ofString());
      assertThat(get.statusCode()).isEqualTo(405);
      assertThat(get.headers().firstValue("Allow")).hasValue("POST");
    }
  }

  @Test
  void jsonRpcEndpoint() throws Exception {
    try (ServiceKitServer server =
        ServiceKitServer.builder()
            .port(0)
            .route(
                "/mcp",
                StreamableServe.handler(StreamableExamples::jsonRpc, StreamableExamples.config()))
            .build()
            .start()) {
      URI uri = server.uri().resolve("/mcp");
      HttpResponse<String> notification =
          post(uri, "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/initialized\"}", "*/*");
      assertThat(notification.statusCode()).isEqualTo(202);
      assertThat(notification.body()).isEmpty();

      HttpResponse<String> request =
          post(uri, "{\"jsonrpc\":\"2.0\",\"id\":7,\"method\":\"ping\"}", "*/*");
      assertThat(request.body()).isEqualTo("{\"jsonrpc\":\"2.0\",\"id\":7,\"result\":{}}");

      HttpResponse<String> malformed = post(uri, "{\"jsonrpc\":", "*/*");
      assertThat(malformed.statusCode()).isEqualTo(400);
      assertThat(malformed.body()).contains("-32700");

      // Expect: 100-continue, so the 413 comes before the body is sent: without it the server's
      // early answer and close can race the client's upload and reach it as a reset (seen under
      // load).
      HttpResponse<String> big =
          HTTP.send(
              HttpRequest.newBuilder(uri)
                  .expectContinue(true)
                  .header("Accept", "*/*")
                  .header("Content-Type", "application/json")
                  .POST(HttpRequest.BodyPublishers.ofString("x".repeat((1 << 20) + 1)))
                  .build(),
              HttpResponse.BodyHandlers.ofString());
      assertThat(big.statusCode()).isEqualTo(413);
    }
  }

  @Test
  void producerForwardsUntilDone() throws Exception {
    BlockingQueue<String> updates = StreamableExamples.queue();
    try (ServiceKitServer server =
        ServiceKitServer.builder()
            .port(0)
            .route("/watch", StreamableServe.handler(r -> StreamableExamples.forward(updates)))
            .build()
            .start()) {
      updates.add("a");
      updates.add("b");
      updates.add("done");
      HttpResponse<String> response =
          post(server.uri().resolve("/watch"), "{}", "text/event-stream");
      assertThat(SseParser.parse(response.body()))
          .extracting(Event::data)
          .containsExactly("a", "b");
      assertThat(updates.poll(10, TimeUnit.SECONDS)).isEqualTo("unsubscribed");
    }
  }

  /** Every java block of docs/streamable.md is a region of a compiled source file. */
  @Test
  void docsQuoteCompiledCode() {
    DocSnippets.assertJavaBlocksCompiled(
        Path.of("../docs/streamable.md"), 4, Path.of("src/test/java/io/servicekit/jetty/docs"));
  }
}
