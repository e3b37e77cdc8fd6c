package io.servicekit.client;

import static org.assertj.core.api.Assertions.assertThat;

import io.servicekit.JsonCodec;
import io.servicekit.WsListener;
import io.servicekit.jetty.ServiceKitServer;
import io.servicekit.sse.ResumableStreams;
import io.servicekit.sse.SseConfig;
import io.servicekit.sse.SseEvent;
import io.servicekit.sse.SseListener;
import io.servicekit.testkit.DocSnippets;
import java.nio.file.Path;
import java.util.Map;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Runs the samples of docs/clients.md against real servers and checks the page quotes them. */
class ClientExamplesTest {
  private static final ResumableStreams STREAMS =
      ResumableStreams.builder()
          .idGen(new io.servicekit.sse.AtomicIdGen())
          .build(); // ids "1", "2", ...
  private static ServiceKitServer server;

  @BeforeAll
  static void start() throws Exception {
    server =
        ServiceKitServer.builder()
            .port(0)
            .ws(
                "/chat",
                r ->
                    WsListener.of(
                        JsonCodec.INSTANCE,
                        "Chat",
                        (session, m) -> {
                          @SuppressWarnings("unchecked")
                          Map<String, Object> msg = (Map<String, Object>) m;
                          String auth = r.header("Authorization").orElse("none");
                          session.send(Map.of("user", auth, "text", msg.get("text")));
                        }))
            .ws(
                "/ticks",
                r ->
                    WsListener.of(
                        JsonCodec.INSTANCE,
                        "Ticks",
                        (session, m) -> {
                          @SuppressWarnings("unchecked")
                          Map<String, Object> env = (Map<String, Object>) m;
                          if ("data".equals(env.get("type"))) {
                            Object from = ((Map<?, ?>) env.get("data")).get("from");
                            int n = ((Number) from).intValue();
                            session.send(Map.of("type", "data", "data", Map.of("n", n)));
                            session.send(Map.of("type", "data", "data", Map.of("n", n + 1)));
                          } else if ("end_send".equals(env.get("type"))) {
                            session.send(Map.of("type", "stream_end"));
                          }
                        }))
            .sse("/events", r -> SseListener.json(), SseConfig.builder().resumable(STREAMS).build())
            .route(
                "/mcp",
                new Handler.Abstract() {
                  @Override
                  public boolean handle(Request request, Response response, Callback callback) {
                    response.getHeaders().put("Content-Type", "text/event-stream");
                    Content.Sink.write(
                        response,
                        true,
                        "event: progress\ndata: 50\n\ndata: {\"tools\":[]}\n\n",
                        callback);
                    return true;
                  }
                })
            .build()
            .start();
  }

  @AfterAll
  static void stop() throws Exception {
    server.stop();
  }

  @Test
  void webSocketSample() throws Exception {
    assertThat(ClientExamples.chat(server.wsUri("/chat")))
        .isEqualTo(new ClientExamples.ChatIn("Bearer demo-token", "hello"));
  }

  @Test
  void sseSampleResumes() throws Exception {
    for (int i = 1; i <= 3; i++) {
      STREAMS.publish("/events", SseEvent.named("tick", Integer.toString(i)));
    }
    assertThat(ClientExamples.ticks(server.uri().resolve("/events"), "1", 2))
        .containsExactly("2:2", "3:3");
  }

  @Test
  void streamableSample() throws Exception {
    assertThat(ClientExamples.call(server.uri().resolve("/mcp")))
        .containsExactly("progress 50", "message {\"tools\":[]}");
    assertThat(ClientExamples.call(server.uri().resolve("/missing")).get(0))
        .startsWith("failed 404");
  }

  @Test
  void grpcSample() throws Exception {
    assertThat(ClientExamples.subscribe(server.wsUri("/ticks")))
        .containsExactly(new ClientExamples.Tick(1), new ClientExamples.Tick(2));
  }

  /** Every java block of docs/clients.md is a region of a compiled source file. */
  @Test
  void docsQuoteCompiledCode() {
    DocSnippets.assertJavaBlocksCompiled(
        Path.of("../docs/clients.md"), 6, Path.of("src/main/java"), Path.of("src/test/java"));
  }
}
