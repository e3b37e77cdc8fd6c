package io.servicekit.jetty.docs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.servicekit.jetty.GracefulShutdown;
import io.servicekit.jetty.ServiceKitServer;
import io.servicekit.testkit.TestWsClient;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;
import org.junit.jupiter.api.Test;

/**
 * Runs the examples of docs/middleware.md and docs/operations.md and checks the docs quote them.
 */
class DocsExamplesTest {
  private static final HttpClient HTTP = HttpClient.newHttpClient();

  /** A one-event SSE stream. */
  static final Handler SSE =
      new Handler.Abstract() {
        @Override
        public boolean handle(Request request, Response response, Callback callback) {
          response.getHeaders().put("Content-Type", "text/event-stream");
          response.write(
              true, ByteBuffer.wrap("data: hi\n\n".getBytes(StandardCharsets.UTF_8)), callback);
          return true;
        }
      };

  private static HttpResponse<String> send(HttpRequest.Builder b) throws Exception {
    return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void quickStartGuardsWebSocketSseAndHttpRoutes() throws Exception {
    try (ServiceKitServer server =
        OpsExamples.quickStart(0, SSE, new OpsExamples.ApiHandler()).start()) {
      URI base = server.uri();
      try (TestWsClient ws = TestWsClient.connect(server.wsUri("/ws/echo"))) {
        ws.sendText("{\"a\":1}");
        assertThat(ws.awaitJson()).containsEntry("a", 1);
      }
      HttpResponse<String> sse = send(HttpRequest.newBuilder(base.resolve("/events")));
      assertThat(sse.body()).isEqualTo("data: hi\n\n");
      assertThat(sse.headers().firstValue("X-Request-Id")).isPresent();
      HttpResponse<String> api =
          send(
              HttpRequest.newBuilder(base.resolve("/api/things"))
                  .header("Origin", "https://app.example.com"));
      assertThat(api.statusCode()).isEqualTo(200);
      assertThat(api.headers().firstValue("Access-Control-Allow-Origin"))
          .hasValue("https://app.example.com");
      HttpResponse<String> health = send(HttpRequest.newBuilder(base.resolve("/healthz")));
      assertThat(health.body()).isEqualTo("{\"status\":\"ok\"}");
      assertThat(health.headers().firstValue("X-Request-Id")).isEmpty();
    }
  }

  @Test
  void proxiesExampleBuilds() {
    assertThat(OpsExamples.behindProxies().middlewares()).hasSize(3);
  }

  @Test
  void browserFacingExample() throws Exception {
    try (ServiceKitServer server = OpsExamples.browserFacing(0).start()) {
      try (TestWsClient ok =
          TestWsClient.builder(server.wsUri("/ws/chat"))
              .header("Origin", "https://app.example.com")
              .connect()) {
        ok.sendText("1");
        assertThat(ok.awaitText()).isEqualTo("1");
      }
      try {
        TestWsClient.builder(server.wsUri("/ws/chat"))
            .header("Origin", "https://evil.com")
            .connect()
            .close();
        throw new AssertionError("evil origin accepted");
      } catch (TestWsClient.HandshakeFailed e) {
        assertThat(e.status()).isEqualTo(403);
      }
      HttpResponse<String> noType =
          send(
              HttpRequest.newBuilder(server.uri().resolve("/api/x"))
                  .POST(HttpRequest.BodyPublishers.ofString("{}")));
      assertThat(noType.statusCode()).isEqualTo(415);
    }
  }

  @Test
  void gracefulExample() throws Exception {
    ServiceKitServer server = OpsExamples.quickStart(0, SSE, new OpsExamples.ApiHandler());
    CompletableFuture<Void> stop = new CompletableFuture<>();
    List<String> calls = new ArrayList<>();
    try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
      Future<GracefulShutdown.Report> run =
          pool.submit(() -> OpsExamples.runGracefully(server, () -> calls.add("closeAll"), stop));
      await().until(() -> server.jetty().isStarted());
      TestWsClient ws = TestWsClient.connect(server.wsUri("/ws/echo"));
      stop.complete(null);
      assertThat(ws.awaitClose().code()).isEqualTo(1001);
      GracefulShutdown.Report report = run.get(10, TimeUnit.SECONDS);
      assertThat(report.clean()).isTrue();
      assertThat(report.webSocketsClosed()).isEqualTo(1);
    }
    assertThat(calls).containsExactly("closeAll");
  }

  @Test
  void metricsExample() throws Exception {
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    try (ServiceKitServer server = OpsExamples.withMetrics(0, registry, SSE).start();
        TestWsClient ws = TestWsClient.connect(server.wsUri("/rooms/lobby"))) {
      ws.sendText("{}");
      ws.awaitText();
      assertThat(
              registry
                  .get("servicekit.connections.active")
                  .tags("kind", "websocket", "route", "/rooms/{room}")
                  .gauge()
                  .value())
          .isEqualTo(1);
      send(HttpRequest.newBuilder(server.uri().resolve("/events")));
      await()
          .until(
              () ->
                  registry.find("servicekit.connections.closed").tags("route", "/events").counter()
                      != null);
    }
  }

  @Test
  void docsQuoteTheExamplesVerbatim() throws Exception {
    String source =
        Files.readString(Path.of("src/test/java/io/servicekit/jetty/docs/OpsExamples.java"));
    String docs =
        Files.readString(Path.of("../docs/middleware.md"))
            + Files.readString(Path.of("../docs/operations.md"));
    Matcher m =
        Pattern.compile("// \\[([a-z-]+)\\]\\n(.*?)\\n\\s*// \\[/\\1\\]", Pattern.DOTALL)
            .matcher(source);
    int regions = 0;
    while (m.find()) {
      regions++;
      assertThat(docs).as("docs quote region [%s]", m.group(1)).contains(dedent(m.group(2)));
    }
    assertThat(regions).isEqualTo(5);
  }

  private static String dedent(String block) {
    List<String> lines = block.lines().toList();
    int indent =
        lines.stream()
            .filter(l -> !l.isBlank())
            .mapToInt(l -> l.length() - l.stripLeading().length())
            .min()
            .orElse(0);
    return String.join(
        "\n", lines.stream().map(l -> l.isBlank() ? "" : l.substring(indent)).toList());
  }
}
