package io.servicekit.mcp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.servicekit.jetty.ServiceKitServer;
import io.servicekit.jetty.StreamableServe;
import io.servicekit.testkit.FakeScheduler;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

/**
 * The bounds of {@link McpEndpoint} (batch size, answer bytes, streams per session, stored events),
 * finished streams being dropped at once, and handler failures never showing their text, each
 * checked both ways against a real Jetty with real HTTP.
 */
class McpLimitsTest {
  private static final String V = "2025-11-25";
  private static final String OLD = "2025-03-26"; // the only version that may batch
  private final Semaphore running = new Semaphore(0);
  private final CountDownLatch release = new CountDownLatch(1);
  private ServiceKitServer server;
  private McpEndpoint transport;
  private McpHttp http;

  private void start(Consumer<McpEndpoint.Builder> settings) throws Exception {
    McpServer mcp =
        McpServer.builder("limits", "1.0")
            .tool(
                "sized",
                "answers a text of arguments.n characters",
                McpJson.object().put("type", "object"),
                (ctx, args) -> McpJson.toolResult(McpJson.text("x".repeat(args.path("n").asInt()))))
            .tool(
                "hold",
                "logs, then answers when released, then logs arguments.n more times first",
                McpJson.object().put("type", "object"),
                (ctx, args) -> {
                  ctx.log("info", "t", "started");
                  running.release();
                  assertThat(release.await(30, TimeUnit.SECONDS)).isTrue();
                  for (int i = 0; i < args.path("n").asInt(); i++) {
                    ctx.log("info", "t", "later " + i);
                  }
                  return McpJson.toolResult(McpJson.text("released"));
                })
            .tool(
                "chatty",
                "logs, then answers",
                McpJson.object().put("type", "object"),
                (ctx, args) -> {
                  ctx.log("info", "t", "working");
                  return McpJson.toolResult(McpJson.text("done"));
                })
            .tool(
                "leaky",
                "fails with a secret in its message",
                McpJson.object().put("type", "object"),
                (ctx, args) -> {
                  throw new IllegalStateException("password=hunter2");
                })
            .request(
                "custom/leaky",
                (ctx, params) -> {
                  throw new IllegalStateException("jdbc://db.internal/secret");
                })
            .request(
                "custom/quiet",
                (ctx, params) -> {
                  // a subclass whose getMessage() hides the text (e.g. a redacting override)
                  throw new McpError(McpError.INVALID_PARAMS, "on purpose: quiet") {
                    private static final long serialVersionUID = 1L;

                    @Override
                    public String getMessage() {
                      return null;
                    }
                  };
                })
            .request(
                "custom/refused",
                (ctx, params) -> {
                  throw new McpError(McpError.INVALID_PARAMS, "on purpose: bad thing");
                })
            .build();
    McpEndpoint.Builder b = McpEndpoint.builder(mcp);
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

  @AfterEach
  void stop() throws Exception {
    release.countDown();
    if (server != null) {
      server.close();
    }
  }

  private static Map<String, String> session(String id, String version) {
    return Map.of("Mcp-Session-Id", id, "MCP-Protocol-Version", version);
  }

  private static String ping(int id) {
    return "{\"jsonrpc\":\"2.0\",\"id\":" + id + ",\"method\":\"ping\"}";
  }

  private static String call(int id, String tool, int n) {
    return "{\"jsonrpc\":\"2.0\",\"id\":"
        + id
        + ",\"method\":\"tools/call\",\"params\":{\"name\":\""
        + tool
        + "\",\"arguments\":{\"n\":"
        + n
        + "}}}";
  }

  private static String batch(int count, Function<Integer, String> message) {
    return IntStream.range(0, count)
        .mapToObj(message::apply)
        .collect(Collectors.joining(",", "[", "]"));
  }

  private static Map<String, String> resume(String id, String lastEventId) {
    Map<String, String> h = new HashMap<>(session(id, V));
    h.put("Last-Event-ID", lastEventId);
    h.put("Accept", "text/event-stream");
    return h;
  }

  @Test
  void batchOverMaxBatchSizeIs400NamingTheLimitAndTheCount() throws Exception {
    start(b -> b.maxBatchSize(3));
    String id = http.initialize(OLD);
    HttpResponse<String> ok = http.post(batch(3, McpLimitsTest::ping), session(id, OLD));
    assertThat(ok.statusCode()).isEqualTo(200);
    assertThat(McpHttp.json(ok.body()).size()).isEqualTo(3);

    HttpResponse<String> tooBig = http.post(batch(4, McpLimitsTest::ping), session(id, OLD));
    assertThat(tooBig.statusCode()).isEqualTo(400);
    JsonNode error = McpHttp.json(tooBig.body()).path("error");
    assertThat(error.path("code").asInt()).isEqualTo(McpError.INVALID_REQUEST);
    assertThat(error.path("message").asString())
        .contains("batch of 4 messages")
        .contains("maxBatchSize 3");
  }

  @Test
  void answerOverMaxAnswerBytesIsAnErrorNamingTheLimit() throws Exception {
    start(b -> b.maxAnswerBytes(1000));
    String id = http.initialize(OLD);
    HttpResponse<String> fits = http.post(call(1, "sized", 800), session(id, OLD));
    assertThat(McpHttp.json(fits.body()).path("result").path("isError").asBoolean()).isFalse();

    HttpResponse<String> single = http.post(call(2, "sized", 1200), session(id, OLD));
    assertThat(single.statusCode()).isEqualTo(200);
    JsonNode error = McpHttp.json(single.body());
    assertThat(error.path("id").asInt()).isEqualTo(2);
    assertThat(error.path("error").path("code").asInt()).isEqualTo(McpError.INTERNAL_ERROR);
    assertThat(error.path("error").path("message").asString()).contains("maxAnswerBytes 1000");

    // a batch: the responses that fit are sent, the ones that would go over become errors
    HttpResponse<String> many =
        http.post(batch(4, i -> call(10 + i, "sized", 300)), session(id, OLD));
    assertThat(many.statusCode()).isEqualTo(200);
    JsonNode answers = McpHttp.json(many.body());
    assertThat(answers.size()).isEqualTo(4);
    long errors = 0;
    for (JsonNode a : answers) {
      if (a.has("error")) {
        errors++;
        assertThat(a.path("error").path("message").asString()).contains("maxAnswerBytes 1000");
      }
    }
    assertThat(errors).as("responses past the limit").isGreaterThanOrEqualTo(2).isLessThan(4);
    assertThat(many.body().getBytes(StandardCharsets.UTF_8).length).isLessThan(1000 + 4 * 400);
  }

  @Test
  void runningStreamsOverMaxStreamsPerSessionAre429ThenRoomAgainOnceAnswered() throws Exception {
    start(b -> b.maxStreamsPerSession(2));
    String id = http.initialize(V);
    List<CompletableFuture<HttpResponse<String>>> held = new java.util.ArrayList<>();
    for (int i = 0; i < 2; i++) {
      int n = i;
      held.add(CompletableFuture.supplyAsync(() -> post(call(n, "hold", 0), session(id, V))));
    }
    assertThat(running.tryAcquire(2, 20, TimeUnit.SECONDS)).as("two calls running").isTrue();
    HttpResponse<String> third = http.post(call(3, "sized", 1), session(id, V));
    assertThat(third.statusCode()).isEqualTo(429);
    JsonNode error = McpHttp.json(third.body()).path("error");
    assertThat(error.path("code").asInt()).isEqualTo(McpError.SERVER_ERROR);
    assertThat(error.path("message").asString()).contains("maxStreamsPerSession 2");
    // notifications need no stream
    assertThat(
            http.post(
                    "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/initialized\"}",
                    session(id, V))
                .statusCode())
        .isEqualTo(202);

    release.countDown();
    for (CompletableFuture<HttpResponse<String>> f : held) {
      assertThat(f.get(20, TimeUnit.SECONDS).body()).contains("released");
    }
    await()
        .atMost(Duration.ofSeconds(20))
        .until(() -> transport.runningStreamCount(id) == 0 && !transport.hasAttachedStream(id));
    assertThat(http.post(call(4, "sized", 1), session(id, V)).statusCode())
        .as("delivered streams make room")
        .isEqualTo(200);
  }

  private HttpResponse<String> post(String body, Map<String, String> headers) {
    try {
      return http.post(body, headers);
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  @Test
  void finishedStreamsAreDroppedAndTheirIdsAnsweredNoLongerStored() throws Exception {
    FakeScheduler time = new FakeScheduler();
    start(b -> b.scheduler(time));
    String id = http.initialize(V);
    assertThat(http.post(call(1, "sized", 1), session(id, V)).statusCode()).isEqualTo(200);
    assertThat(transport.streamCount(id))
        .as("a stream answered as JSON is dropped at once")
        .isZero();

    String lastId;
    try (McpHttp.Events events = http.postStream(call(2, "chatty", 0), session(id, V))) {
      events.next(); // priming
      lastId = events.next().id(); // the log message
      assertThat(events.next().data()).contains("done");
      assertThat(events.awaitEnd()).isTrue();
    }
    // its last event was written: dropped once the linger (for a client whose connection died
    // under that write) has passed
    await().atMost(Duration.ofSeconds(20)).until(() -> time.pendingTasks() == 2); // sweep, linger
    assertThat(transport.streamCount(id)).isEqualTo(1);
    time.advanceBy(McpSession.DELIVERED_LINGER);
    assertThat(transport.streamCount(id)).as("an event stream fully delivered").isZero();

    HttpResponse<String> gone = http.send("GET", resume(id, lastId));
    assertThat(gone.statusCode()).isEqualTo(400);
    assertThat(gone.body()).contains("no longer stored");
    HttpResponse<String> never = http.send("GET", resume(id, "99_1"));
    assertThat(never.statusCode()).isEqualTo(400);
    assertThat(never.body()).contains("was not issued on a stream of this session");
  }

  /** Starts a "hold" call, reads its priming event, leaves; returns the priming id. */
  private String abandonHeldCall(String id, int n, int laterLogs) throws Exception {
    String priming;
    try (McpHttp.Events events = http.postStream(call(n, "hold", laterLogs), session(id, V))) {
      priming = events.next().id();
      assertThat(events.next().data()).contains("started");
    }
    await().atMost(Duration.ofSeconds(20)).until(() -> !transport.hasAttachedStream(id));
    return priming;
  }

  @Test
  void eventsBeyondMaxStoredEventsAreDroppedOldestFirst() throws Exception {
    start(b -> b.maxStoredEvents(3));
    String id = http.initialize(V);
    String priming = abandonHeldCall(id, 1, 5); // events 1 (started), 2-6 (later), 7 (result)
    assertThat(running.tryAcquire(1, 20, TimeUnit.SECONDS)).isTrue();
    release.countDown();
    await().atMost(Duration.ofSeconds(20)).until(() -> transport.runningStreamCount(id) == 0);
    String stream = priming.substring(0, priming.lastIndexOf('_'));

    HttpResponse<String> tooOld = http.send("GET", resume(id, priming));
    assertThat(tooOld.statusCode()).isEqualTo(400);
    assertThat(tooOld.body()).contains("no longer stored").contains("maxStoredEvents 3");

    try (McpHttp.Events resumed = http.get(resume(id, stream + "_4"))) {
      assertThat(resumed.next().data()).contains("later 3");
      assertThat(resumed.next().data()).contains("later 4");
      assertThat(resumed.next().data()).contains("released");
      assertThat(resumed.awaitEnd()).isTrue();
    }
  }

  @Test
  void endedStreamsKeptForResumptionMakeRoomOldestFirst() throws Exception {
    start(b -> b.maxStreamsPerSession(2));
    String id = http.initialize(V);
    String first = abandonHeldCall(id, 1, 0);
    String second = abandonHeldCall(id, 2, 0);
    assertThat(running.tryAcquire(2, 20, TimeUnit.SECONDS)).isTrue();
    release.countDown(); // both end while no connection is attached: kept for a resumption
    await().atMost(Duration.ofSeconds(20)).until(() -> transport.runningStreamCount(id) == 0);
    assertThat(transport.streamCount(id)).isEqualTo(2);

    assertThat(http.post(call(3, "sized", 1), session(id, V)).statusCode())
        .as("the oldest ended stream makes room")
        .isEqualTo(200);
    HttpResponse<String> dropped = http.send("GET", resume(id, first));
    assertThat(dropped.statusCode()).isEqualTo(400);
    assertThat(dropped.body()).contains("no longer stored");
    try (McpHttp.Events resumed = http.get(resume(id, second))) {
      assertThat(resumed.next().data()).contains("started");
      assertThat(resumed.next().data()).contains("released");
    }
  }

  @Test
  void handlerFailuresShowAnErrorIdNotTheirText() throws Exception {
    start(b -> {});
    String id = http.initialize(V);
    PrintStream err = System.err;
    ByteArrayOutputStream log = new ByteArrayOutputStream();
    HttpResponse<String> tool;
    HttpResponse<String> method;
    System.setErr(new PrintStream(log, true, StandardCharsets.UTF_8));
    try {
      tool = http.post(call(1, "leaky", 0), session(id, V));
      method =
          http.post("{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"custom/leaky\"}", session(id, V));
    } finally {
      System.setErr(err);
    }
    String logged = log.toString(StandardCharsets.UTF_8);

    JsonNode result = McpHttp.json(tool.body()).path("result");
    assertThat(result.path("isError").asBoolean()).isTrue();
    String text = result.path("content").get(0).path("text").asString();
    assertThat(tool.body()).doesNotContain("hunter2");
    assertThat(logged).contains("hunter2").contains(errorId(text));

    JsonNode error = McpHttp.json(method.body()).path("error");
    assertThat(error.path("code").asInt()).isEqualTo(McpError.INTERNAL_ERROR);
    assertThat(method.body()).doesNotContain("secret");
    assertThat(error.path("data").path("errorId").asString())
        .isEqualTo(errorId(error.path("message").asString()));
    assertThat(logged)
        .contains("jdbc://db.internal/secret")
        .contains(errorId(error.path("message").asString()));

    // an McpError thrown on purpose keeps its message
    HttpResponse<String> refused =
        http.post("{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"custom/refused\"}", session(id, V));
    assertThat(McpHttp.json(refused.body()).path("error").path("message").asString())
        .isEqualTo("on purpose: bad thing");
  }

  @Test
  void anMcpErrorWhoseGetMessageIsNullStillAnswersAStringMessage() throws Exception {
    // JSON-RPC 2.0 requires error.message to be a string: the answer takes the message the
    // McpError was made with (never null), not what an override of getMessage() returns.
    start(b -> {});
    String id = http.initialize(V);
    HttpResponse<String> r =
        http.post("{\"jsonrpc\":\"2.0\",\"id\":4,\"method\":\"custom/quiet\"}", session(id, V));
    JsonNode error = McpHttp.json(r.body()).path("error");
    assertThat(error.path("code").asInt()).isEqualTo(McpError.INVALID_PARAMS);
    assertThat(error.path("message").isString()).as(r.body()).isTrue();
    assertThat(error.path("message").asString()).isEqualTo("on purpose: quiet");
  }

  private static String errorId(String text) {
    Matcher m = Pattern.compile("error id ([0-9a-f]{8})").matcher(text);
    assertThat(m.find()).as("an error id in: " + text).isTrue();
    return m.group(1);
  }

  @Test
  void builderRefusesLimitsThatAreNotPositive() {
    McpEndpoint.Builder b = McpEndpoint.builder(McpServer.builder("x", "1").build());
    Map<String, Consumer<Integer>> setters =
        Map.of(
            "maxBatchSize", b::maxBatchSize,
            "maxAnswerBytes", b::maxAnswerBytes,
            "maxStreamsPerSession", b::maxStreamsPerSession,
            "maxStoredEvents", b::maxStoredEvents,
            "maxSessions", b::maxSessions);
    setters.forEach(
        (name, setter) -> {
          for (int bad : new int[] {0, -1}) {
            assertThatThrownBy(() -> setter.accept(bad))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage(name + " must be positive, was " + bad);
          }
          setter.accept(1); // the smallest accepted
        });
  }

  @Test
  void stoppingTheJettyHandlerEndsTheSessions() throws Exception {
    start(b -> {});
    String id = http.initialize(V);
    assertThat(transport.sessionCount()).isEqualTo(1);
    server.close(); // StreamableServe closes the transport (AutoCloseable)
    server = null;
    assertThat(transport.sessionCount()).isZero();
    assertThat(transport.streamCount(id)).isEqualTo(-1);
  }
}
