package io.servicekit.demo.ops;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.servicekit.demo.EchoConn;
import io.servicekit.jetty.ServiceKitServer;
import io.servicekit.jetty.StreamableServe;
import io.servicekit.mcp.McpEndpoint;
import io.servicekit.mcp.McpJson;
import io.servicekit.mcp.McpServer;
import io.servicekit.sse.ResumableStreams;
import io.servicekit.sse.SseConfig;
import io.servicekit.sse.SseEvent;
import io.servicekit.sse.SseHub;
import io.servicekit.sse.SseListener;
import io.servicekit.sse.SseSession;
import io.servicekit.streamable.StreamResponse;
import io.servicekit.streamable.StreamableConfig;
import io.servicekit.streamable.StreamableHandler;
import io.servicekit.testkit.RawWsClient;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
import java.lang.ref.WeakReference;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.eclipse.jetty.server.ServerConnector;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;

/**
 * Connection churn: thousands of connect/close cycles of each kind against a real server with the
 * demo's guard (rate limiter, connection limiter, request log, SSE metrics), then the server must
 * hold none of the finished peers. The check is exact: a {@link WeakReference} to the server-side
 * object of every cycle (the WebSocket's {@code EchoConn}, the SSE stream's connection, the
 * Streamable HTTP stream's {@code StreamSession}, the MCP session and its POST stream) must be
 * cleared after a GC, within {@link #RELEASE_BOUND} — time for the server to notice each close, far
 * below the 30 s write timeout whose scheduled check used to keep every finished peer reachable.
 * Live threads, open file descriptors and heap after GC are compared with the figures before the
 * cycles (bounds and their reasons at {@link #THREAD_SLACK}, {@link #FD_SLACK}, {@link
 * #HEAP_SLACK_MIB}).
 *
 * <p>Cycles per kind: {@code -Dservicekit.churn.cycles=N}, default 3 000, which keeps the class
 * under a minute on a loaded 2-core machine (10 000 of each kind take about two minutes there).
 * Even 3 000 finished peers held would be 30 MiB of heap. Figures are printed as {@code churn
 * <kind>: ...} lines.
 */
@EnabledOnOs(OS.LINUX) // /proc/self/fd
class ConnectionChurnTest {
  static {
    // One line per request (a warning with a stack trace for each client that leaves a stream)
    // would be tens of thousands of lines.
    System.setProperty(
        "org.slf4j.simpleLogger.log.io.servicekit.jetty.middleware.RequestLogger", "error");
  }

  static final int CYCLES = Integer.getInteger("servicekit.churn.cycles", 3_000);
  private static final int WORKERS = 4;
  private static final int WARM_UP = 300;

  /**
   * How long the server may take to notice the last closes (and, for abandoned MCP sessions, to
   * expire them: idle timeout 2 s, sweep every 1 s). A closed socket is seen within milliseconds;
   * 10 s leaves a busy 2-core machine a wide margin and stays far below the 30 s write timeout.
   */
  static final Duration RELEASE_BOUND = Duration.ofSeconds(10);

  /**
   * Platform threads may differ by a few: Jetty's pool starts or retires an idle thread, the
   * reserved-thread executor keeps a spare or not. A per-connection leak would be thousands.
   */
  static final int THREAD_SLACK = 8;

  /**
   * Kept-alive HTTP/1.1 connections of the MCP client (two descriptors each, both ends live in this
   * JVM) may number a few more or fewer than before. A per-connection leak would be thousands.
   */
  static final int FD_SLACK = 16;

  /**
   * Heap after GC may move with Jetty's buffer pool and the bounded event stores (the feed keeps
   * its 1000 newest events); it moved by less than 1 MiB in our runs, and does not depend on the
   * machine's load, since it is measured once every peer is gone. The old leak was about 11 KiB per
   * connection: 22 MiB per 2000 cycles, 110 MiB per 10 000.
   */
  static final long HEAP_SLACK_MIB = 8;

  private static final Duration IDLE = Duration.ofSeconds(2);

  private static final Queue<WeakReference<Object>> wsPeers = new ConcurrentLinkedQueue<>();
  private static final Queue<WeakReference<Object>> ssePeers = new ConcurrentLinkedQueue<>();
  private static final Queue<WeakReference<Object>> streamPeers = new ConcurrentLinkedQueue<>();
  private static final Queue<WeakReference<Object>> mcpSessions = new ConcurrentLinkedQueue<>();
  private static final Queue<WeakReference<Object>> mcpStreams = new ConcurrentLinkedQueue<>();

  private static ServiceKitServer server;
  private static McpEndpoint mcp;
  private static SseHub<Object> hub;
  private static ResumableStreams feed;
  private static HttpClient http;
  private static ExecutorService clientThreads;

  private Figures baseline;

  @BeforeAll
  static void start() throws Exception {
    feed = ResumableStreams.builder().streamId(request -> "churn").build();
    hub = new SseHub<>();
    SseConfig sseConfig =
        SseConfig.builder()
            .resumable(feed)
            .retry(Duration.ofSeconds(2))
            .keepalivePeriod(Duration.ofSeconds(15))
            .build();
    McpServer mcpServer =
        McpServer.builder("churn", "1.0.0")
            .tool(
                "probe",
                "Logs once (so the answer is an event stream), then returns",
                McpJson.object().put("type", "object"),
                (ctx, args) -> {
                  // The session holds the clientInfo node it was initialized with, and nothing
                  // else does once the initialize request is answered: its reachability is the
                  // session's.
                  mcpSessions.add(new WeakReference<>(ctx.clientInfo()));
                  ctx.log("info", "churn", "probing");
                  return McpJson.toolResult(McpJson.text("ok"));
                })
            .build();
    mcp = McpEndpoint.builder(mcpServer).sessionIdleTimeout(IDLE).maxSessions(100_000).build();
    StreamableHandler mcpTracked =
        request -> {
          var answer = mcp.handle(request);
          if (answer instanceof StreamResponse s) {
            return new StreamResponse(
                s.status(),
                s.headers(),
                sink -> {
                  mcpStreams.add(new WeakReference<>(sink));
                  s.producer().produce(sink);
                });
          }
          return answer;
        };
    StreamableHandler streamed =
        request ->
            StreamResponse.of(
                sink -> {
                  streamPeers.add(new WeakReference<>(sink));
                  CountDownLatch gone = new CountDownLatch(1);
                  sink.onClose(gone::countDown);
                  sink.send(SseEvent.named("hello", "{\"n\":1}"));
                  gone.await(); // until the client goes away
                });
    DemoOps ops = DemoOps.from(Map.of("RATE_LIMIT_PER_IP", "1000000"));
    server =
        ops.apply(ServiceKitServer.builder().port(0).host("127.0.0.1"), "/mcp")
            .ws(
                "/echo",
                request -> {
                  EchoConn c = new EchoConn();
                  wsPeers.add(new WeakReference<>(c));
                  return c;
                },
                EchoConn.CONFIG)
            .sse(
                "/feed",
                request -> {
                  FeedConn c = new FeedConn();
                  ssePeers.add(new WeakReference<>(c));
                  return c;
                },
                sseConfig)
            .route("/stream", StreamableServe.handler(streamed, StreamableConfig.defaults()))
            .route("/mcp", StreamableServe.handler(mcpTracked, StreamableConfig.defaults()))
            .build()
            .start();
    clientThreads = Executors.newVirtualThreadPerTaskExecutor();
    http =
        HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .executor(clientThreads) // no platform threads come and go with the client
            .connectTimeout(Duration.ofSeconds(10))
            .build();
    // Warm up every kind, so that pools (Jetty's threads and buffers, the client's connections)
    // and lazily loaded classes are in place before the baselines.
    run(WARM_UP, ConnectionChurnTest::wsCycle);
    run(WARM_UP, ConnectionChurnTest::sseCycle);
    run(WARM_UP, ConnectionChurnTest::streamCycle);
    run(WARM_UP, i -> mcpCycle(i, true));
    run(WARM_UP, i -> mcpCycle(i, false));
  }

  @AfterAll
  static void stop() throws Exception {
    if (http != null) {
      http.close();
    }
    if (clientThreads != null) {
      clientThreads.close();
    }
    if (server != null) {
      server.stop();
    }
    mcp.closeAll();
  }

  @BeforeEach
  void measureBaseline() {
    Stream.of(wsPeers, ssePeers, streamPeers, mcpSessions, mcpStreams).forEach(Queue::clear);
    wakeSelectors();
    baseline = Figures.now();
  }

  @Test
  void webSocketOpenEchoClose() throws Exception {
    cycles("websocket", ConnectionChurnTest::wsCycle);
    assertThat(wsPeers).hasSize(CYCLES);
    awaitCleared("WebSocket", wsPeers);
    await()
        .atMost(RELEASE_BOUND)
        .pollInSameThread()
        .until(() -> server.webSocketSessions().isEmpty());
    assertBackToBaseline("websocket");
  }

  @Test
  void sseOpenOneEventClientLeaves() throws Exception {
    cycles("sse", ConnectionChurnTest::sseCycle);
    assertThat(ssePeers).hasSize(CYCLES);
    awaitCleared("SSE", ssePeers);
    assertThat(hub.count()).as("SSE hub members").isZero();
    assertThat(feed.liveCount("churn")).as("live connections of the resumable stream").isZero();
    assertBackToBaseline("sse");
  }

  @Test
  void streamableStreamClientLeaves() throws Exception {
    cycles("streamable", ConnectionChurnTest::streamCycle);
    assertThat(streamPeers).hasSize(CYCLES);
    awaitCleared("Streamable HTTP", streamPeers);
    assertBackToBaseline("streamable");
  }

  @Test
  void mcpSessionsDeleted() throws Exception {
    cycles("mcp-delete", i -> mcpCycle(i, true));
    assertThat(mcp.sessionCount()).as("MCP sessions right after the DELETEs").isZero();
    assertThat(mcpSessions).hasSize(CYCLES);
    assertThat(mcpStreams).hasSize(CYCLES);
    awaitCleared("MCP session (deleted)", mcpSessions);
    awaitCleared("MCP POST stream (deleted session)", mcpStreams);
    assertBackToBaseline("mcp-delete");
  }

  @Test
  void mcpSessionsAbandonedExpire() throws Exception {
    cycles("mcp-expire", i -> mcpCycle(i, false));
    assertThat(mcpSessions).hasSize(CYCLES);
    assertThat(mcpStreams).hasSize(CYCLES);
    await()
        .atMost(RELEASE_BOUND)
        .pollInSameThread()
        .pollInterval(Duration.ofMillis(100))
        .until(() -> mcp.sessionCount() == 0);
    awaitCleared("MCP session (expired)", mcpSessions);
    awaitCleared("MCP POST stream (expired session)", mcpStreams);
    assertBackToBaseline("mcp-expire");
  }

  // ------------------------------------------------------------------ the server side

  /** Joins the hub and the resumable stream, publishes one event to it. */
  private static final class FeedConn implements SseListener<Object> {
    private static final java.util.concurrent.atomic.AtomicInteger made =
        new java.util.concurrent.atomic.AtomicInteger();
    private final int n = made.incrementAndGet();
    private volatile SseSession<Object> session;

    @Override
    public io.servicekit.JsonCodec codec() {
      return io.servicekit.JsonCodec.INSTANCE;
    }

    @Override
    public String name() {
      return "ChurnFeed";
    }

    @Override
    public void onOpen(SseSession<Object> session) {
      this.session = session;
      hub.register(session);
      session.send(Map.of("n", 1)); // published to the stream: stored, sent to every live client
    }

    @Override
    public String toString() {
      return "FeedConn#"
          + n
          + " of "
          + made.get()
          + "["
          + (session == null ? "not started" : session.toString())
          + "]";
    }
  }

  // ------------------------------------------------------------------ one cycle of each kind

  private static URI base() {
    return server.uri();
  }

  /** WebSocket: open, one echo, close handshake. */
  private static void wsCycle(int i) {
    try (RawWsClient c = RawWsClient.open(server.wsUri("/echo"))) {
      c.sendText("churn " + i);
      assertThat(c.awaitText()).isEqualTo("churn " + i);
      c.sendClose(1000, "bye");
      assertThat(c.awaitClose(RawWsClient.TIMEOUT, false).code()).isEqualTo(1000);
    }
  }

  private static final ThreadLocal<String> lastEventId = new ThreadLocal<>();
  private static final Pattern ID = Pattern.compile("(?m)^id: ?(\\S+)");

  /** SSE: open (every other one resuming from the last id seen), one event, client disconnects. */
  private static void sseCycle(int i) {
    String resume = i % 2 == 1 && lastEventId.get() != null ? lastEventId.get() : null;
    String event =
        firstEvent(
            "GET /feed HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n"
                + (resume != null ? "Last-Event-ID: " + resume + "\r\n" : "")
                + "\r\n");
    Matcher m = ID.matcher(event);
    assertThat(m.find()).as("event with an id: %s", event).isTrue();
    lastEventId.set(m.group(1));
  }

  /** Streamable HTTP: POST answered with an event stream, one event, client disconnects. */
  private static void streamCycle(int i) {
    String event =
        firstEvent(
            "POST /stream HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n"
                + "Content-Type: application/json\r\nContent-Length: 2\r\n\r\n{}");
    assertThat(event).contains("event: hello");
  }

  /**
   * Sends {@code request} on a new socket, reads up to the end of the first event with data, then
   * closes the socket; returns the event's text.
   */
  private static String firstEvent(String request) {
    try (Socket s = new Socket()) {
      s.setSoTimeout(10_000);
      s.connect(new InetSocketAddress("127.0.0.1", server.port()), 10_000);
      OutputStream out = s.getOutputStream();
      out.write(request.getBytes(StandardCharsets.US_ASCII));
      out.flush();
      InputStream in = s.getInputStream();
      ByteArrayOutputStream got = new ByteArrayOutputStream();
      byte[] buf = new byte[4096];
      while (true) {
        int n = in.read(buf);
        if (n < 0) {
          throw new AssertionError("stream ended before an event: " + got);
        }
        got.write(buf, 0, n);
        String text = got.toString(StandardCharsets.UTF_8);
        int head = text.indexOf("\r\n\r\n");
        if (head < 0) {
          continue;
        }
        assertThat(text).startsWith("HTTP/1.1 200");
        int data = text.indexOf("data:", head);
        int end = data < 0 ? -1 : text.indexOf("\n\n", data);
        if (end >= 0) {
          int start = text.lastIndexOf("\n\n", data);
          return text.substring(Math.max(head + 4, start < 0 ? 0 : start + 2), end);
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static final String VERSION = "2025-06-18";

  /** MCP: initialize, one tool call answered as an event stream, then DELETE or nothing. */
  private static void mcpCycle(int i, boolean delete) {
    HttpResponse<String> init =
        post(
            null,
            "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"initialize\",\"params\":{"
                + "\"protocolVersion\":\""
                + VERSION
                + "\",\"capabilities\":{},\"clientInfo\":{\"name\":\"churn\",\"version\":\""
                + i
                + "\"}}}");
    assertThat(init.statusCode()).as(init.body()).isEqualTo(200);
    String session = init.headers().firstValue("Mcp-Session-Id").orElseThrow();
    HttpResponse<String> call =
        post(
            session,
            "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"tools/call\",\"params\":{"
                + "\"name\":\"probe\",\"arguments\":{}}}");
    assertThat(call.statusCode()).as(call.body()).isEqualTo(200);
    assertThat(call.headers().firstValue("Content-Type").orElse(""))
        .startsWith("text/event-stream");
    assertThat(call.body()).contains("notifications/message").contains("\"text\":\"ok\"");
    if (delete) {
      HttpResponse<String> gone =
          send(
              HttpRequest.newBuilder(base().resolve("/mcp"))
                  .header("Mcp-Session-Id", session)
                  .header("MCP-Protocol-Version", VERSION)
                  .DELETE()
                  .build());
      assertThat(gone.statusCode()).as(gone.body()).isEqualTo(200);
    }
  }

  private static HttpResponse<String> post(String session, String body) {
    HttpRequest.Builder b =
        HttpRequest.newBuilder(base().resolve("/mcp"))
            .header("Content-Type", "application/json")
            .header("Accept", "application/json, text/event-stream")
            .POST(HttpRequest.BodyPublishers.ofString(body));
    if (session != null) {
      b.header("Mcp-Session-Id", session).header("MCP-Protocol-Version", VERSION);
    }
    return send(b.build());
  }

  private static HttpResponse<String> send(HttpRequest request) {
    try {
      return http.send(request, HttpResponse.BodyHandlers.ofString());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError("interrupted", e);
    }
  }

  // ------------------------------------------------------------------ running and measuring

  private interface Cycle {
    void run(int i) throws Exception;
  }

  /** Runs {@code cycles} cycles on {@link #WORKERS} virtual threads; rethrows the first failure. */
  private static void run(int cycles, Cycle cycle) throws Exception {
    List<Future<?>> workers = new ArrayList<>();
    try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
      for (int w = 0; w < WORKERS; w++) {
        int first = w;
        workers.add(
            pool.submit(
                () -> {
                  for (int i = first; i < cycles; i += WORKERS) {
                    cycle.run(i);
                  }
                  return null;
                }));
      }
      for (Future<?> f : workers) {
        f.get();
      }
    }
  }

  /**
   * Makes every selector of the connector run once. The JDK keeps the key of a closed channel, and
   * with it the connection it is attached to, until its selector next wakes up; a selector with no
   * traffic sleeps on. So each selector may hold the connection closed last until any I/O reaches
   * it, which on a server in use is at once. A fresh connection per selector and one more (they are
   * dealt out in turn) wakes them all.
   */
  private static void wakeSelectors() {
    int selectors =
        ((ServerConnector) server.jetty().getConnectors()[0])
            .getSelectorManager()
            .getSelectorCount();
    for (int i = 0; i <= selectors; i++) {
      try (Socket s = new Socket()) {
        s.setSoTimeout(10_000);
        s.connect(new InetSocketAddress("127.0.0.1", server.port()), 10_000);
        s.getOutputStream()
            .write(
                "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
                    .getBytes(StandardCharsets.US_ASCII));
        s.getInputStream().readAllBytes();
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
  }

  /**
   * Every peer of {@code refs} is collected within {@link #RELEASE_BOUND}; on failure prints the
   * server's open connections (from Jetty's dump) to show what still holds them.
   */
  private static void awaitCleared(String kind, Queue<WeakReference<Object>> refs) {
    try {
      awaitCleared0(kind, refs);
    } catch (RuntimeException | Error t) {
      String d = server.jetty().dump();
      for (String line : d.split("\n")) {
        if (line.contains("EndPoint")
            || line.contains("HttpConnection")
            || line.contains("Channel")) {
          System.out.println("open: " + line.strip());
        }
      }
      throw t;
    }
  }

  private static void awaitCleared0(String kind, Queue<WeakReference<Object>> refs) {
    await()
        .atMost(RELEASE_BOUND)
        .pollInSameThread()
        .pollInterval(Duration.ofMillis(200))
        .untilAsserted(
            () -> {
              wakeSelectors();
              System.gc();
              List<String> alive =
                  refs.stream()
                      .map(WeakReference::get)
                      .filter(o -> o != null)
                      .map(String::valueOf)
                      .toList();
              assertThat(alive.size())
                  .as(
                      "%s: %d of %d finished peers still reachable (hub %d, live %d, mcp sessions"
                          + " %d), e.g. %s",
                      kind,
                      alive.size(),
                      refs.size(),
                      hub.count(),
                      feed.liveCount("churn"),
                      mcp.sessionCount(),
                      alive.subList(0, Math.min(3, alive.size())))
                  .isZero();
            });
  }

  /** Runs the cycles, then prints the figures right after them (the server noticing the closes). */
  private void cycles(String kind, Cycle cycle) throws Exception {
    long t0 = System.nanoTime();
    run(CYCLES, cycle);
    long millis = (System.nanoTime() - t0) / 1_000_000;
    wakeSelectors();
    Figures now = Figures.now();
    System.out.printf(
        "churn %s: %d cycles in %d ms; right after: threads %d -> %d, fds %d -> %d, heap after GC"
            + " %.1f -> %.1f MiB%n",
        kind,
        CYCLES,
        millis,
        baseline.threads,
        now.threads,
        baseline.fds,
        now.fds,
        baseline.heapMib(),
        now.heapMib());
  }

  private void assertBackToBaseline(String kind) {
    Figures after = Figures.now();
    System.out.printf(
        "churn %s: every peer collected; threads %d -> %d, fds %d -> %d, heap after GC %.1f -> %.1f"
            + " MiB%n",
        kind,
        baseline.threads,
        after.threads,
        baseline.fds,
        after.fds,
        baseline.heapMib(),
        after.heapMib());
    assertThat(after.threads)
        .as("live threads")
        .isLessThanOrEqualTo(baseline.threads + THREAD_SLACK);
    assertThat(after.fds).as("open file descriptors").isLessThanOrEqualTo(baseline.fds + FD_SLACK);
    assertThat(after.heapMib() - baseline.heapMib())
        .as("heap after GC growth, MiB")
        .isLessThanOrEqualTo(HEAP_SLACK_MIB);
  }

  /** Live platform threads, open file descriptors, heap used after GC. */
  private record Figures(int threads, long fds, long heapBytes) {
    static Figures now() {
      for (int i = 0; i < 3; i++) {
        System.gc();
      }
      long heap = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
      long fds;
      try (Stream<Path> s = Files.list(Path.of("/proc/self/fd"))) {
        fds = s.count();
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
      return new Figures(ManagementFactory.getThreadMXBean().getThreadCount(), fds, heap);
    }

    double heapMib() {
      return heapBytes / (1024.0 * 1024.0);
    }
  }
}
