package io.servicekit.demo.sse;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.servicekit.jetty.ServiceKitServer;
import io.servicekit.sse.SseParser.Event;
import io.servicekit.testkit.DocSnippets;
import io.servicekit.testkit.TestSseClient;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Runs the samples of docs/sse.md and checks that the docs quote compiled code. */
class SseExamplesTest {
  @Test
  void basicEndpointServesAStream() throws Exception {
    try (ServiceKitServer server =
            SseExamples.basic(ServiceKitServer.builder().port(0)).build().start();
        TestSseClient client =
            TestSseClient.builder(server.uri().resolve("/events")).reconnect(false).connect()) {
      TestSseClient.Attempt opened = client.awaitOpen();
      assertThat(opened.status()).isEqualTo(200);
      assertThat(opened.header("Content-Type")).isEqualTo("text/event-stream");
    }
  }

  @Test
  void hubNotificationsAndRefusals() throws Exception {
    SseExamples.Notifications n = new SseExamples.Notifications();
    try (ServiceKitServer server =
        SseExamples.refusing(n.routes(ServiceKitServer.builder().port(0))).build().start()) {
      // [START client]
      TestSseClient alice =
          TestSseClient.builder(server.uri().resolve("/notifications"))
              .header("X-User", "alice")
              .reconnect(false)
              .connect();
      alice.awaitOpen(); // the server answered 200 with text/event-stream
      await().until(() -> n.hub.count() == 1);
      SseExamples.sending(n.hub.get("alice"));
      n.examples();
      List<Event> events = alice.awaitEvents(7); // waits with a timeout, never sleeps
      assertThat(events)
          .extracting(Event::type)
          .containsExactly("message", "alert", "update", "message", "message", "alert", "shutdown");
      assertThat(events.get(2).id()).isEqualTo("42");
      // [END client]
      assertThat(alice.retryMillis()).isEqualTo(5000);
      assertThat(alice.awaitComment()).isEqualTo("still here");
      alice.awaitClosed();
      alice.close();

      HttpClient http = HttpClient.newHttpClient();
      assertThat(status(http, server, "/notifications")).isEqualTo(401);
      assertThat(status(http, server, "/game/over/events")).isEqualTo(204);
      assertThat(status(http, server, "/game/7/events")).isEqualTo(401);
    }
  }

  @Test
  void perUserConfigBuilds() {
    assertThat(SseExamples.perUser().resumption()).isPresent();
  }

  private static int status(HttpClient http, ServiceKitServer server, String path)
      throws Exception {
    return http.send(
            HttpRequest.newBuilder(server.uri().resolve(path)).build(),
            HttpResponse.BodyHandlers.discarding())
        .statusCode();
  }

  /** Every java block of docs/sse.md is a region of a compiled source file. */
  @Test
  void docsQuoteCompiledCode() {
    DocSnippets.assertJavaBlocksCompiled(
        Path.of("../docs/sse.md"), 5, Path.of("src/main/java"), Path.of("src/test/java"));
  }
}
