package io.servicekit.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.servicekit.Rejection;
import io.servicekit.jetty.ServiceKitServer;
import io.servicekit.jetty.StreamableServe;
import io.servicekit.streamable.SingleResponse;
import io.servicekit.streamable.StreamResponse;
import java.net.URI;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** {@link StreamableClient} against the real server primitive, {@link StreamableServe}. */
class StreamableServeInteropTest {
  private ServiceKitServer server;

  @BeforeEach
  void start() throws Exception {
    server =
        ServiceKitServer.builder()
            .port(0)
            .route(
                "/mcp",
                StreamableServe.handler(
                    request -> {
                      String session = request.header("Mcp-Session-Id").orElse("");
                      if (session.isEmpty()) {
                        throw Rejection.of(400, "Mcp-Session-Id required");
                      }
                      String body = request.bodyAsString();
                      if (body.contains("\"stream\"")) {
                        return StreamResponse.of(
                            sink -> {
                              for (int i = 1; i <= 3; i++) {
                                sink.send("progress", "p" + i, "{\"step\":" + i + "}");
                              }
                            });
                      }
                      return SingleResponse.json(200, "{\"echo\":" + body + "}");
                    }))
            .build()
            .start();
  }

  @AfterEach
  void stop() throws Exception {
    server.stop();
  }

  private URI uri() {
    return server.uri().resolve("/mcp");
  }

  @Test
  void jsonAndStreamAnswersAndARejection() throws Exception {
    StreamableClient client = StreamableClient.builder().header("Mcp-Session-Id", "s-1").build();
    try (StreamableResponse r = client.post(uri(), Map.of("method", "ping"))) {
      assertThat(((StreamableResponse.Json) r).value())
          .isEqualTo(Map.of("echo", Map.of("method", "ping")));
    }
    try (StreamableResponse.Events events =
        (StreamableResponse.Events) client.post(uri(), Map.of("method", "stream"))) {
      assertThat(events.stream().map(e -> e.type() + " " + e.id() + " " + e.data()).toList())
          .isEqualTo(
              List.of(
                  "progress p1 {\"step\":1}",
                  "progress p2 {\"step\":2}",
                  "progress p3 {\"step\":3}"));
    }
    assertThatThrownBy(
            () -> StreamableClient.builder().build().post(uri(), Map.of("method", "ping")))
        .isInstanceOfSatisfying(
            HttpStatusException.class,
            e -> {
              assertThat(e.status()).isEqualTo(400);
              assertThat(e.body()).contains("Mcp-Session-Id required");
            });
  }
}
