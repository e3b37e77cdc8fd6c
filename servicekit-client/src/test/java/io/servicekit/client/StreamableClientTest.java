package io.servicekit.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.servicekit.jetty.ServiceKitServer;
import io.servicekit.sse.SseParser;
import java.net.URI;
import java.util.List;
import java.util.Map;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.json.JsonMapper;

/** {@link StreamableClient} against small Jetty handlers answering JSON, SSE and errors. */
class StreamableClientTest {
  private static final JsonMapper JSON = JsonMapper.builder().build();
  private ServiceKitServer server;

  record Answer(String method, String accept, String session, Object body) {}

  @BeforeEach
  void start() throws Exception {
    server =
        ServiceKitServer.builder()
            .port(0)
            .route(
                "/json",
                handler(
                    (request, response, callback) -> {
                      String body = Content.Source.asString(request);
                      Map<String, Object> answer =
                          Map.of(
                              "method", request.getMethod(),
                              "accept", request.getHeaders().get("Accept"),
                              "session", String.valueOf(request.getHeaders().get("Mcp-Session-Id")),
                              "body", JSON.readValue(body, Object.class));
                      response.getHeaders().put("Mcp-Session-Id", "s-2");
                      response.getHeaders().put("Content-Type", "application/json; charset=utf-8");
                      Content.Sink.write(response, true, JSON.writeValueAsString(answer), callback);
                    }))
            .route(
                "/stream",
                handler(
                    (request, response, callback) -> {
                      Content.Source.asString(request);
                      response.getHeaders().put("Content-Type", "text/event-stream");
                      Content.Sink.write(
                          response,
                          true,
                          "event: progress\ndata: {\"pct\":50}\n\n"
                              + ": comment\n\n"
                              + "id: r1\ndata: {\"result\":\ndata: 42}\n\n",
                          callback);
                    }))
            .route(
                "/bad",
                handler(
                    (request, response, callback) -> {
                      response.setStatus(400);
                      response.getHeaders().put("Content-Type", "application/json");
                      Content.Sink.write(response, true, "{\"error\":\"bad request\"}", callback);
                    }))
            .route(
                "/accepted",
                handler(
                    (request, response, callback) -> {
                      response.setStatus(202);
                      callback.succeeded();
                    }))
            .route(
                "/text",
                handler(
                    (request, response, callback) -> {
                      response.getHeaders().put("Content-Type", "text/plain");
                      Content.Sink.write(response, true, "hello", callback);
                    }))
            .build()
            .start();
  }

  @AfterEach
  void stop() throws Exception {
    server.stop();
  }

  interface Body {
    void handle(Request request, Response response, Callback callback) throws Exception;
  }

  private static Handler handler(Body body) {
    return new Handler.Abstract.NonBlocking() {
      @Override
      public boolean handle(Request request, Response response, Callback callback) {
        Thread.ofVirtual()
            .start(
                () -> {
                  try {
                    body.handle(request, response, callback);
                  } catch (Throwable t) {
                    callback.failed(t);
                  }
                });
        return true;
      }
    };
  }

  private URI uri(String path) {
    return server.uri().resolve(path);
  }

  @Test
  void jsonAnswerWithHeadersBothWays() throws Exception {
    StreamableClient client = StreamableClient.builder().header("Mcp-Session-Id", "s-1").build();
    try (StreamableResponse r = client.post(uri("/json"), Map.of("q", List.of(1, 2)))) {
      assertThat(r).isInstanceOf(StreamableResponse.Json.class);
      assertThat(r.status()).isEqualTo(200);
      assertThat(r.header("Mcp-Session-Id")).hasValue("s-2");
      Answer answer = ((StreamableResponse.Json) r).as(Answer.class);
      assertThat(answer)
          .isEqualTo(
              new Answer(
                  "POST",
                  "application/json, text/event-stream",
                  "s-1",
                  Map.of("q", List.of(1, 2))));
    }
    // per-request headers override the client's
    StreamableResponse r =
        client.postJson(uri("/json"), "[true]", Map.of("Mcp-Session-Id", "other"));
    assertThat(((StreamableResponse.Json) r).value())
        .isEqualTo(
            Map.of(
                "method", "POST",
                "accept", "application/json, text/event-stream",
                "session", "other",
                "body", List.of(true)));
  }

  @Test
  void eventStreamAnswerIsIteratedLazily() throws Exception {
    StreamableClient client = StreamableClient.builder().build();
    try (StreamableResponse r = client.post(uri("/stream"), Map.of("method", "run"))) {
      StreamableResponse.Events events = (StreamableResponse.Events) r;
      assertThat(events.next())
          .isEqualTo(new SseParser.Event("progress", "{\"pct\":50}", null, "", -1));
      assertThat(events.next())
          .isEqualTo(new SseParser.Event("message", "{\"result\":\n42}", "r1", "r1", -1));
      assertThat(events.hasNext()).isFalse();
    }
    try (StreamableResponse.Events again =
        (StreamableResponse.Events) client.post(uri("/stream"), Map.of())) {
      assertThat(again.stream().map(SseParser.Event::type)).containsExactly("progress", "message");
    }
  }

  @Test
  void errorStatusesCarryStatusAndBody() {
    StreamableClient client = StreamableClient.builder().build();
    assertThatThrownBy(() -> client.post(uri("/bad"), Map.of()))
        .isInstanceOfSatisfying(
            HttpStatusException.class,
            e -> {
              assertThat(e.status()).isEqualTo(400);
              assertThat(e.body()).isEqualTo("{\"error\":\"bad request\"}");
            })
        .hasMessageContaining("HTTP 400");
    assertThatThrownBy(() -> client.post(uri("/nowhere"), Map.of()))
        .isInstanceOfSatisfying(
            HttpStatusException.class, e -> assertThat(e.status()).isEqualTo(404));
    assertThatThrownBy(() -> client.post(uri("/text"), Map.of()))
        .isInstanceOf(HttpStatusException.class)
        .hasMessageContaining("unexpected Content-Type 'text/plain'");
  }

  @Test
  void acceptedWithoutBodyIsEmpty() throws Exception {
    StreamableResponse r = StreamableClient.builder().build().post(uri("/accepted"), Map.of());
    assertThat(r).isInstanceOf(StreamableResponse.Empty.class);
    assertThat(r.status()).isEqualTo(202);
  }
}
