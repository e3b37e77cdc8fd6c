package io.servicekit.mcp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.servicekit.jetty.ServiceKitServer;
import io.servicekit.jetty.StreamableServe;
import io.servicekit.testkit.FakeScheduler;
import java.lang.management.ManagementFactory;
import java.net.URI;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Bounded memory of the transport, against a real Jetty with real HTTP: thousands of requests on
 * one session (answered as JSON and as event streams) must leave the heap after GC where it was,
 * and thousands of abandoned sessions must cost at most {@link #SESSION_BOUND_BYTES} each while
 * they live and nothing once they expired. Heap is measured with the {@code MemoryMXBean} after
 * {@code System.gc()} (three times), as {@code ConnectionChurnTest} does. Counts: {@code
 * -Dservicekit.mcp.memory.requests=N} (default 6 000) and {@code
 * -Dservicekit.mcp.memory.sessions=N} (default 3 000); figures are printed as {@code mcp-memory
 * ...} lines.
 */
class McpMemoryTest {
  private static final String V = "2025-11-25";
  private static final int REQUESTS = Integer.getInteger("servicekit.mcp.memory.requests", 6_000);
  private static final int SESSIONS = Integer.getInteger("servicekit.mcp.memory.sessions", 3_000);
  private static final Duration IDLE = Duration.ofMinutes(10);

  /**
   * Heap growth allowed after the requests of one session: noise of the JIT, Jetty's buffer pool
   * and the client's connection pool. One retained kibibyte per request would be 6 MiB.
   */
  static final long REQUESTS_SLACK_BYTES = 2L << 20;

  /**
   * Heap a live, abandoned session (one JSON call and one event-stream call made) may hold:
   * measured about 1.5 KiB; before its delivered streams were dropped, about 2.9 KiB.
   */
  static final long SESSION_BOUND_BYTES = 2560;

  /** Heap growth allowed once the abandoned sessions have expired. */
  static final long EXPIRED_SLACK_BYTES = 2L << 20;

  private final FakeScheduler time = new FakeScheduler();
  private ServiceKitServer server;
  private McpEndpoint transport;
  private McpHttp http;

  @BeforeEach
  void start() throws Exception {
    McpServer mcp =
        McpServer.builder("memory", "1.0")
            .tool(
                "plain",
                "answered as JSON",
                McpJson.object().put("type", "object"),
                (ctx, args) -> McpJson.toolResult(McpJson.text("plain")))
            .tool(
                "chatty",
                "answered as an event stream",
                McpJson.object().put("type", "object"),
                (ctx, args) -> {
                  ctx.log("info", "t", "working");
                  ctx.progress(1, 2.0, null);
                  return McpJson.toolResult(McpJson.text("done"));
                })
            .build();
    transport = McpEndpoint.builder(mcp).scheduler(time).sessionIdleTimeout(IDLE).build();
    server =
        ServiceKitServer.builder()
            .port(0)
            .route("/mcp", StreamableServe.handler(transport))
            .build()
            .start();
    http = new McpHttp(URI.create("http://127.0.0.1:" + server.port() + "/mcp"));
  }

  @AfterEach
  void stop() throws Exception {
    if (server != null) {
      server.close();
    }
  }

  private static Map<String, String> session(String id) {
    return Map.of("Mcp-Session-Id", id, "MCP-Protocol-Version", V);
  }

  /**
   * Moves the clock until every session has expired. The client has read each call to its end, but
   * the server may still be finishing the last stream's request (its session counts as busy until
   * then, and idles from that moment): so the clock moves on by the idle timeout until none is
   * left.
   */
  private void expireAll() {
    await()
        .untilAsserted(
            () -> {
              time.advanceBy(IDLE.multipliedBy(2));
              assertThat(transport.sessionCount()).isZero();
            });
  }

  /** One call of {@code tool}, read to its end (JSON or event stream). */
  private void call(String id, int n, String tool) throws Exception {
    if (tool.equals("plain")) {
      HttpResponse<String> r = http.post(McpHttp.call(n, tool), session(id));
      assertThat(r.statusCode()).isEqualTo(200);
      assertThat(r.body()).contains("\"plain\"");
    } else {
      try (McpHttp.Events events = http.postStream(McpHttp.call(n, tool), session(id))) {
        assertThat(events.awaitEnd()).as("the call's event stream ends").isTrue();
        assertThat(events.events.stream().map(e -> e.data()).toList())
            .anySatisfy(d -> assertThat(d).contains("\"done\""));
      }
    }
  }

  private static long heapAfterGc() {
    for (int i = 0; i < 3; i++) {
      System.gc();
    }
    return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
  }

  private static double mib(long bytes) {
    return bytes / (1024.0 * 1024.0);
  }

  @Test
  void thousandsOfRequestsOnOneSessionLeaveTheHeapWhereItWas() throws Exception {
    String id = http.initialize(V);
    for (int i = 0; i < 300; i++) { // warm-up: JIT, pools, connections
      call(id, i, i % 2 == 0 ? "plain" : "chatty");
    }
    long before = heapAfterGc();
    for (int i = 0; i < REQUESTS; i++) {
      call(id, 1000 + i, i % 2 == 0 ? "plain" : "chatty");
    }
    long kept = heapAfterGc(); // at most maxStreamsPerSession delivered streams lingering
    time.advanceBy(McpSession.DELIVERED_LINGER.plusSeconds(1));
    long after = heapAfterGc();
    System.out.printf(
        "mcp-memory requests: %d on one session (half JSON, half event streams): heap after GC"
            + " %.1f -> %.1f MiB right after (delivered streams lingering), %.1f MiB after the"
            + " linger (%+d bytes per request; allowed growth %.1f MiB)%n",
        REQUESTS,
        mib(before),
        mib(kept),
        mib(after),
        (after - before) / REQUESTS,
        mib(REQUESTS_SLACK_BYTES));
    assertThat(transport.sessionCount()).isEqualTo(1);
    assertThat(kept - before)
        .as("heap growth right after, bytes")
        .isLessThanOrEqualTo(REQUESTS_SLACK_BYTES);
    assertThat(after - before).as("heap growth, bytes").isLessThanOrEqualTo(REQUESTS_SLACK_BYTES);
  }

  @Test
  void thousandsOfAbandonedSessionsCostLittleAndNothingOnceExpired() throws Exception {
    for (int i = 0; i < 200; i++) { // warm-up, then expire them
      String id = http.initialize(V);
      call(id, 1, "plain");
      call(id, 2, "chatty");
    }
    expireAll();
    long before = heapAfterGc();
    for (int i = 0; i < SESSIONS; i++) {
      String id = http.initialize(V);
      call(id, 1, "plain");
      call(id, 2, "chatty");
    }
    time.advanceBy(McpSession.DELIVERED_LINGER.plusSeconds(1)); // well within the idle timeout
    long alive = heapAfterGc();
    assertThat(transport.sessionCount()).isEqualTo(SESSIONS);
    expireAll();
    long expired = heapAfterGc();
    System.out.printf(
        "mcp-memory sessions: %d abandoned: heap after GC %.1f -> %.1f MiB while alive (%d bytes"
            + " per session; bound %d), %.1f MiB once expired%n",
        SESSIONS,
        mib(before),
        mib(alive),
        (alive - before) / SESSIONS,
        SESSION_BOUND_BYTES,
        mib(expired));
    assertThat((alive - before) / SESSIONS)
        .as("heap per live abandoned session, bytes")
        .isLessThanOrEqualTo(SESSION_BOUND_BYTES);
    assertThat(expired - before)
        .as("heap growth once expired, bytes")
        .isLessThanOrEqualTo(EXPIRED_SLACK_BYTES);
  }
}
