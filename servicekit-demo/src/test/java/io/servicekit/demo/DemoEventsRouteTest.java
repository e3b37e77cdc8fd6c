package io.servicekit.demo;

import static org.assertj.core.api.Assertions.assertThat;

import io.servicekit.jetty.ServiceKitServer;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.Iterator;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/** The demo server mounts the SSE feed and its page beside the WebSocket demos. */
class DemoEventsRouteTest {
  @Test
  void theDemoServesTheResumableEventFeedAndItsPage() throws Exception {
    ServiceKitServer server = DemoServer.create(0).start();
    try {
      HttpClient http = HttpClient.newHttpClient();
      HttpResponse<Stream<String>> events =
          http.send(
              HttpRequest.newBuilder(server.uri().resolve("/events"))
                  .header("Accept", "text/event-stream")
                  .build(),
              HttpResponse.BodyHandlers.ofLines());
      assertThat(events.statusCode()).isEqualTo(200);
      assertThat(events.headers().firstValue("Content-Type"))
          .hasValueSatisfying(v -> assertThat(v).startsWith("text/event-stream"));
      try (Stream<String> lines = events.body()) {
        Iterator<String> it = lines.iterator();
        boolean sawId = false;
        while (!sawId && it.hasNext()) {
          sawId = it.next().startsWith("id:");
        }
        assertThat(sawId).as("an event with an id").isTrue();
      }
      HttpResponse<String> page =
          http.send(
              HttpRequest.newBuilder(server.uri().resolve("/events.html")).build(),
              HttpResponse.BodyHandlers.ofString());
      assertThat(page.statusCode()).isEqualTo(200);
      assertThat(page.body()).contains("ServiceKit.SseClient");
    } finally {
      server.stop();
    }
  }
}
