package io.servicekit.mcp;

import static org.assertj.core.api.Assertions.assertThat;

import io.servicekit.jetty.GracefulShutdown;
import io.servicekit.jetty.ServiceKitServer;
import io.servicekit.jetty.StreamableServe;
import io.servicekit.sse.SseListener;
import io.servicekit.sse.SseParser;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

/**
 * A graceful shutdown ends every stream within the drain, not at its end: an SSE stream outside any
 * hub gets {@code event: shutdown}; an MCP standalone GET stream and an MCP POST stream whose tool
 * is still running get what they hold — the tool's last notification and the JSON-RPC error
 * answering it — and end; the shutdown is clean and takes a fraction of the drain timeout.
 */
class McpGracefulShutdownTest {
  private static final String V = "2025-11-25";
  private static final Duration DRAIN = Duration.ofSeconds(30);

  private final CountDownLatch toolBlocked = new CountDownLatch(1);
  private ServiceKitServer server;

  @AfterEach
  void stop() throws Exception {
    if (server != null) {
      server.jetty().setStopTimeout(0);
      server.stop();
    }
  }

  @Test
  void sseOutsideAHubAndMcpGetAndPostStreamsEndWithTheirFinalEventsWithinTheDrain()
      throws Exception {
    McpServer mcp =
        McpServer.builder("test", "1.0")
            .tool(
                "block",
                "logs, blocks until interrupted, logs again",
                McpJson.object().put("type", "object"),
                (ctx, args) -> {
                  ctx.log("info", "t", "working");
                  toolBlocked.countDown();
                  try {
                    new CountDownLatch(1).await();
                  } catch (InterruptedException e) {
                    ctx.log("info", "t", "interrupted");
                    throw e;
                  }
                  return McpJson.toolResult(McpJson.text("never"));
                })
            .build();
    McpEndpoint transport = McpEndpoint.builder(mcp).build();
    server =
        ServiceKitServer.builder()
            .port(0)
            .sse("/events", r -> SseListener.json()) // no hub: nobody else would end it
            .route("/mcp", StreamableServe.handler(transport))
            .build()
            .start();
    URI base = URI.create("http://127.0.0.1:" + server.port());
    McpHttp http = new McpHttp(base.resolve("/mcp"));

    HttpResponse<java.io.InputStream> sseResponse =
        HttpClient.newHttpClient()
            .send(
                HttpRequest.newBuilder(base.resolve("/events"))
                    .header("Accept", "text/event-stream")
                    .build(),
                HttpResponse.BodyHandlers.ofInputStream());
    assertThat(sseResponse.statusCode()).isEqualTo(200);
    McpHttp.Events sse = new McpHttp.Events(sseResponse);

    String session = http.initialize(V);
    Map<String, String> headers = Map.of("Mcp-Session-Id", session, "MCP-Protocol-Version", V);
    McpHttp.Events get = http.get(headers);
    assertThat(get.next().data()).isEmpty(); // the priming event
    McpHttp.Events post = http.postStream(McpHttp.call(7, "block"), headers);
    assertThat(post.next().data()).isEmpty(); // priming
    assertThat(post.next().data()).contains("working");
    assertThat(toolBlocked.await(20, TimeUnit.SECONDS)).isTrue();

    GracefulShutdown shutdown = GracefulShutdown.of(server).noSignals().drainTimeout(DRAIN);
    CompletableFuture<GracefulShutdown.Report> run =
        CompletableFuture.supplyAsync(
            () -> {
              try {
                return shutdown.run();
              } catch (Exception e) {
                throw new RuntimeException(e);
              }
            });
    shutdown.ready().toCompletableFuture().get(20, TimeUnit.SECONDS);
    shutdown.trigger("test");

    assertThat(sse.awaitEnd()).as("SSE stream ended").isTrue();
    List<SseParser.Event> sseEvents = drain(sse);
    assertThat(sseEvents).isNotEmpty();
    SseParser.Event last = sseEvents.get(sseEvents.size() - 1);
    assertThat(last.type()).isEqualTo("shutdown");
    assertThat(last.data()).isEqualTo("{\"reason\":\"server shutting down\"}");

    assertThat(post.awaitEnd()).as("MCP POST stream ended").isTrue();
    List<SseParser.Event> postEvents = drain(post);
    assertThat(postEvents).hasSize(2);
    assertThat(postEvents.get(0).data()).contains("interrupted"); // sent before the answer
    JsonNode answer = McpHttp.json(postEvents.get(1).data());
    assertThat(answer.path("id").asInt()).isEqualTo(7);
    assertThat(answer.path("error").path("code").asInt()).isEqualTo(McpError.INTERNAL_ERROR);
    assertThat(answer.path("error").path("message").asString()).isEqualTo("server shutting down");

    assertThat(get.awaitEnd()).as("MCP GET stream ended").isTrue();

    GracefulShutdown.Report report = run.get(DRAIN.toSeconds(), TimeUnit.SECONDS);
    assertThat(report.clean()).as(report.summary()).isTrue();
    assertThat(report.took()).isLessThan(DRAIN.dividedBy(2));
  }

  private static List<SseParser.Event> drain(McpHttp.Events events) {
    List<SseParser.Event> all = new ArrayList<>();
    events.events.drainTo(all);
    return all;
  }
}
