package io.servicekit.mcp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.servicekit.jetty.ServiceKitServer;
import io.servicekit.jetty.StreamableServe;
import io.servicekit.testkit.FakeScheduler;
import java.net.URI;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Idle session expiry of {@link McpEndpoint}, on a real Jetty with {@link java.net.http.HttpClient}
 * and a {@link FakeScheduler} for time: sessions expire on a timer of their own, not only when
 * another client initializes.
 */
class McpSessionExpiryTest {
  private static final String V = "2025-11-25";
  private static final Duration TIMEOUT = Duration.ofMinutes(10); // sweeps every 5 min
  private static final String PING = "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\"}";

  private final FakeScheduler time = new FakeScheduler();
  private final CountDownLatch holding = new CountDownLatch(1);
  private final CountDownLatch release = new CountDownLatch(1);
  private ServiceKitServer server;
  private McpEndpoint transport;
  private McpHttp http;

  private void start(Consumer<McpEndpoint.Builder> settings) throws Exception {
    McpServer mcp =
        McpServer.builder("expiry", "1.0")
            .tool(
                "hold",
                "answers when released",
                McpJson.object().put("type", "object"),
                (ctx, args) -> {
                  holding.countDown();
                  assertThat(release.await(30, TimeUnit.SECONDS)).isTrue();
                  return McpJson.toolResult(McpJson.text("released"));
                })
            .build();
    McpEndpoint.Builder b = McpEndpoint.builder(mcp).scheduler(time).sessionIdleTimeout(TIMEOUT);
    settings.accept(b);
    transport = b.build();
    server =
        ServiceKitServer.builder()
            .port(0)
            .route("/mcp", StreamableServe.handler(transport))
            .build()
            .start();
    http = new McpHttp(URI.create("http://127.0.0.1:" + server.port() + "/mcp"));
  }

  private void start() throws Exception {
    start(b -> {});
  }

  @AfterEach
  void stop() throws Exception {
    release.countDown();
    if (server != null) {
      server.close();
    }
  }

  private static Map<String, String> session(String id) {
    return Map.of("Mcp-Session-Id", id, "MCP-Protocol-Version", V);
  }

  private void assertExpired(String id) throws Exception {
    for (HttpResponse<String> r :
        List.of(
            http.post(PING, session(id)),
            http.send("GET", Map.of("Mcp-Session-Id", id, "Accept", "text/event-stream")),
            http.send("DELETE", session(id)))) {
      assertThat(r.statusCode()).as(r.request().method()).isEqualTo(404);
      assertThat(McpHttp.json(r.body()).path("error").path("code").asInt())
          .isEqualTo(McpError.SESSION_NOT_FOUND);
      assertThat(r.body()).contains("Session not found");
    }
  }

  @Test
  void idleSessionExpiresOnItsOwnWithoutANewSession() throws Exception {
    start();
    String a = http.initialize(V);
    String b = http.initialize(V);
    time.advanceBy(TIMEOUT.minusSeconds(1));
    assertThat(transport.sessionCount()).isEqualTo(2);

    time.advanceBy(Duration.ofMinutes(6)); // past the timeout by more than one sweep period
    assertThat(transport.sessionCount()).isZero();
    assertThat(time.pendingTasks()).as("no sweep timer without sessions").isZero();
    assertExpired(a);
    assertExpired(b);
  }

  @Test
  void requestsBeforeTheDeadlineKeepTheSessionAlive() throws Exception {
    start();
    String id = http.initialize(V);
    for (int i = 0; i < 4; i++) {
      time.advanceBy(Duration.ofMinutes(8));
      HttpResponse<String> ping = http.post(PING, session(id));
      assertThat(ping.statusCode()).isEqualTo(200);
    }
    assertThat(transport.sessionCount()).isEqualTo(1); // 32 min old, never 10 min idle

    time.advanceBy(TIMEOUT.plusMinutes(5));
    assertThat(transport.sessionCount()).isZero();
    assertExpired(id);
  }

  @Test
  void anOpenGetStreamKeepsTheSessionAliveUntilTheStreamEndsPlusTheTimeout() throws Exception {
    start();
    String id = http.initialize(V);
    McpHttp.Events events = http.get(session(id));
    try {
      events.next(); // the priming event: the stream is attached
      time.advanceBy(TIMEOUT.multipliedBy(3));
      assertThat(transport.sessionCount()).isEqualTo(1);
      assertThat(transport.hasAttachedStream(id)).isTrue();
    } finally {
      events.close();
    }
    await().atMost(Duration.ofSeconds(30)).until(() -> !transport.hasAttachedStream(id));

    time.advanceBy(TIMEOUT.minusMinutes(1));
    assertThat(transport.sessionCount()).as("idle time counts from the stream's end").isEqualTo(1);
    time.advanceBy(Duration.ofMinutes(6));
    assertThat(transport.sessionCount()).isZero();
    assertExpired(id);
  }

  @Test
  void aRunningRequestKeepsTheSessionAliveUntilItEndsPlusTheTimeout() throws Exception {
    start();
    String id = http.initialize(V);
    CompletableFuture<HttpResponse<String>> call =
        CompletableFuture.supplyAsync(
            () -> {
              try {
                return http.post(McpHttp.call(2, "hold"), session(id));
              } catch (Exception e) {
                throw new IllegalStateException(e);
              }
            });
    assertThat(holding.await(30, TimeUnit.SECONDS)).isTrue();
    time.advanceBy(TIMEOUT.multipliedBy(3));
    assertThat(transport.sessionCount()).isEqualTo(1);

    release.countDown();
    HttpResponse<String> answer = call.get(30, TimeUnit.SECONDS);
    assertThat(answer.statusCode()).isEqualTo(200);
    assertThat(answer.body()).contains("released");

    time.advanceBy(TIMEOUT.minusMinutes(1));
    assertThat(transport.sessionCount()).as("idle time counts from the request's end").isEqualTo(1);
    time.advanceBy(Duration.ofMinutes(6));
    assertThat(transport.sessionCount()).isZero();
    assertExpired(id);
  }

  @Test
  void theSweepTimerRunsOnlyWhileSessionsLiveAndStopsWithTheServer() throws Exception {
    start();
    assertThat(time.pendingTasks()).isZero();
    String id = http.initialize(V);
    http.initialize(V);
    assertThat(time.pendingTasks()).as("one timer for all sessions").isEqualTo(1);
    time.advanceBy(Duration.ofMinutes(5)); // a sweep runs and re-arms
    assertThat(time.pendingTasks()).isEqualTo(1);

    transport.closeAll();
    assertThat(time.pendingTasks()).isZero();
    assertThat(transport.sessionCount()).isZero();
    assertExpired(id);

    http.initialize(V);
    assertThat(time.pendingTasks()).isEqualTo(1);
    server.close(); // stopping the handler ends the transport's sessions and its timer
    server = null;
    assertThat(transport.sessionCount()).isZero();
    assertThat(time.pendingTasks()).isZero();
  }

  @Test
  void aFullServerExpiresOverdueSessionsBeforeRefusingAnInitialize() throws Exception {
    start(b -> b.maxSessions(1).sessionIdleTimeout(Duration.ofSeconds(60))); // sweeps every 30 s
    String old = http.initialize(V);
    time.advanceBy(Duration.ofSeconds(1));
    assertThat(http.post(PING, session(old)).statusCode()).isEqualTo(200);
    time.advanceBy(Duration.ofSeconds(30)); // t=31 s: idle 30 s
    HttpResponse<String> full = http.post(McpHttp.initializeBody(V), Map.of());
    assertThat(full.statusCode()).isEqualTo(503);

    time.advanceBy(Duration.ofSeconds(30)); // t=61 s: idle 60 s, the next sweep is at 90 s
    assertThat(transport.sessionCount()).isEqualTo(1);
    HttpResponse<String> fresh = http.post(McpHttp.initializeBody(V), Map.of());
    assertThat(fresh.statusCode()).isEqualTo(200);
    assertExpired(old);
  }

  @Test
  void sweepPeriodIsHalfTheTimeoutWithinBounds() {
    assertThat(McpEndpoint.sweepPeriod(Duration.ofMinutes(30))).isEqualTo(Duration.ofSeconds(60));
    assertThat(McpEndpoint.sweepPeriod(Duration.ofSeconds(20))).isEqualTo(Duration.ofSeconds(10));
    assertThat(McpEndpoint.sweepPeriod(Duration.ofNanos(1))).isEqualTo(Duration.ofMillis(100));
  }

  @Test
  void schedulerMustNotBeNull() {
    McpEndpoint.Builder b = McpEndpoint.builder(McpServer.builder("x", "1").build());
    assertThatThrownBy(() -> b.scheduler(null))
        .isInstanceOf(NullPointerException.class)
        .hasMessageContaining("scheduler");
  }
}
