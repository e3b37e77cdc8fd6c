package io.servicekit.jetty;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.servicekit.JsonCodec;
import io.servicekit.Rejection;
import io.servicekit.TypedJsonCodec;
import io.servicekit.sse.ResumableStreams;
import io.servicekit.sse.SseConfig;
import io.servicekit.sse.SseEvent;
import io.servicekit.sse.SseHandler;
import io.servicekit.sse.SseHub;
import io.servicekit.sse.SseListener;
import io.servicekit.sse.SseParser.Event;
import io.servicekit.sse.SseSession;
import io.servicekit.sse.StreamEnd;
import io.servicekit.testkit.FakeScheduler;
import io.servicekit.testkit.TestSseClient;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.net.Socket;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** SSE over a real Jetty on port 0 with the test kit's client: upstream §13.4 and more. */
class SseServeTest {
  private final FakeScheduler time = new FakeScheduler();
  private final List<AutoCloseable> closeables = new ArrayList<>();
  private final BlockingQueue<StreamEnd> closes = new LinkedBlockingQueue<>();
  private final BlockingQueue<SseSession<Object>> started = new LinkedBlockingQueue<>();

  @AfterEach
  void tearDown() throws Exception {
    for (int i = closeables.size() - 1; i >= 0; i--) {
      closeables.get(i).close();
    }
  }

  /** A JSON listener that reports its session and close status to the test. */
  private class Recorded implements SseListener<Object> {
    @Override
    public JsonCodec codec() {
      return JsonCodec.INSTANCE;
    }

    @Override
    public void onOpen(SseSession<Object> session) {
      started.add(session);
    }

    @Override
    public void onClose(SseSession<Object> session, StreamEnd status) {
      closes.add(status);
    }
  }

  private SseConfig.Builder config() {
    return SseConfig.builder().scheduler(time);
  }

  private <O> ServiceKitServer serve(SseHandler<O> handler, SseConfig config) throws Exception {
    ServiceKitServer server =
        ServiceKitServer.builder().port(0).sse("/sse", handler, config).build().start();
    closeables.add(server);
    return server;
  }

  private ServiceKitServer serve(SseConfig config) throws Exception {
    return serve(r -> new Recorded(), config);
  }

  private TestSseClient client(
      ServiceKitServer server, UnaryOperator<TestSseClient.Builder> options) {
    TestSseClient c = options.apply(TestSseClient.builder(server.uri().resolve("/sse"))).connect();
    closeables.add(c);
    return c;
  }

  private TestSseClient client(ServiceKitServer server) {
    return client(server, b -> b.reconnect(false));
  }

  private static <T> T poll(BlockingQueue<T> q) throws InterruptedException {
    T t = q.poll(10, TimeUnit.SECONDS);
    assertThat(t).as("nothing within 10 s").isNotNull();
    return t;
  }

  private static String rawExchange(int port, String request, String untilContains)
      throws Exception {
    try (Socket s = new Socket("localhost", port)) {
      s.setSoTimeout(10_000);
      s.getOutputStream().write(request.getBytes(StandardCharsets.US_ASCII));
      InputStream in = s.getInputStream();
      ByteArrayOutputStream got = new ByteArrayOutputStream();
      byte[] buf = new byte[4096];
      while (!got.toString(StandardCharsets.UTF_8).contains(untilContains)) {
        int n = in.read(buf);
        if (n < 0) {
          break;
        }
        got.write(buf, 0, n);
      }
      return got.toString(StandardCharsets.UTF_8);
    }
  }

  // ---------------------------------------------------------------- upstream §13.4

  @Test
  void basicDeliveryWithTheSseHeaders() throws Exception {
    ServiceKitServer server = serve(config().build());
    TestSseClient client = client(server);
    TestSseClient.Attempt a = client.awaitOpen();
    assertThat(a.status()).isEqualTo(200);
    assertThat(a.header("Content-Type")).isEqualTo("text/event-stream");
    assertThat(a.header("Cache-Control")).isEqualTo("no-cache");
    assertThat(a.header("X-Accel-Buffering")).isEqualTo("no");
    poll(started).send(SseEvent.of("{\"hello\":\"world\"}"));
    assertThat(client.awaitEvent())
        .isEqualTo(new Event("message", "{\"hello\":\"world\"}", null, "", -1));
  }

  @Test
  void exactHeadersAndBytesOnTheWire() throws Exception {
    ServiceKitServer server =
        serve(
            r ->
                SseListener.json(
                    s -> {
                      s.sendEventWithId("update", "evt-1", Map.of("key", "value"));
                      s.close();
                    }),
            config().build());
    // HTTP/1.0: no chunking, so the body is the exact SSE bytes, ended by the server's close.
    String http10 = rawExchange(server.port(), "GET /sse HTTP/1.0\r\nHost: x\r\n\r\n", "\0");
    assertThat(http10).startsWith("HTTP/1.1 200 OK\r\n").doesNotContain("Transfer-Encoding");
    assertThat(http10).contains("\r\nContent-Type: text/event-stream\r\n");
    assertThat(http10).contains("\r\nCache-Control: no-cache\r\n");
    assertThat(http10).contains("\r\nX-Accel-Buffering: no\r\n");
    assertThat(http10).doesNotContain("Connection: keep-alive");
    assertThat(http10.substring(http10.indexOf("\r\n\r\n") + 4))
        .isEqualTo("event: update\nid: evt-1\ndata: {\"key\":\"value\"}\n\n");
    String http11 =
        rawExchange(server.port(), "GET /sse HTTP/1.1\r\nHost: x\r\n\r\n", "\r\n0\r\n\r\n");
    assertThat(http11).startsWith("HTTP/1.1 200 OK\r\n").contains("\r\nConnection: keep-alive\r\n");
  }

  @Test
  void eventWithIdAndMultipleEventTypes() throws Exception {
    ServiceKitServer server = serve(config().build());
    TestSseClient client = client(server);
    client.awaitOpen();
    SseSession<Object> s = poll(started);
    s.send(SseEvent.named("user_joined", "{\"u\":1}"));
    s.send(SseEvent.named("message", "hi"));
    s.send(SseEvent.named("update", "{}").withId("12345"));
    assertThat(client.awaitEvents(3))
        .containsExactly(
            new Event("user_joined", "{\"u\":1}", null, "", -1),
            new Event("message", "hi", null, "", -1),
            new Event("update", "{}", "12345", "12345", -1));
  }

  @Test
  void keepaliveCommentsEveryPeriod() throws Exception {
    ServiceKitServer server = serve(config().keepalivePeriod(Duration.ofMillis(50)).build());
    TestSseClient client = client(server);
    client.awaitOpen();
    poll(started);
    time.advanceBy(Duration.ofMillis(50));
    assertThat(client.awaitComment()).isEqualTo("keepalive");
    time.advanceBy(Duration.ofMillis(100));
    assertThat(client.awaitComment()).isEqualTo("keepalive");
    assertThat(client.awaitComment()).isEqualTo("keepalive");
    assertThat(client.receivedCount()).isZero();
  }

  @Test
  void clientDisconnectRunsOnClosePromptlyWithoutAnyWrite() throws Exception {
    ServiceKitServer server = serve(config().keepalivePeriod(Duration.ZERO).build());
    TestSseClient client = client(server);
    client.awaitOpen();
    poll(started);
    client.close();
    StreamEnd status = poll(closes);
    assertThat(status.reason()).isEqualTo(StreamEnd.Reason.DISCONNECTED);
    assertThat(closes.poll(200, TimeUnit.MILLISECONDS)).as("onClose exactly once").isNull();
  }

  @Test
  void concurrentSendsAllArrive() throws Exception {
    ServiceKitServer server = serve(config().build());
    TestSseClient client = client(server);
    client.awaitOpen();
    SseSession<Object> s = poll(started);
    List<Thread> threads = new ArrayList<>();
    for (int t = 0; t < 10; t++) {
      int n = t;
      threads.add(
          Thread.ofVirtual()
              .start(
                  () -> {
                    for (int i = 0; i < 5; i++) {
                      assertThat(s.send(SseEvent.of(n + "-" + i))).isTrue();
                    }
                  }));
    }
    for (Thread t : threads) {
      t.join();
    }
    assertThat(client.awaitEvents(50)).extracting(Event::data).doesNotHaveDuplicates().hasSize(50);
  }

  record Score(String player, int points) {}

  @Test
  void typedCodecPayloadRoundTrips() throws Exception {
    CompletableFuture<SseSession<Score>> conn = new CompletableFuture<>();
    ServiceKitServer server =
        serve(
            r ->
                SseListener.of(
                    "Scores", TypedJsonCodec.<Score, Score>of(Score.class), conn::complete),
            config().build());
    TestSseClient client = client(server);
    conn.get(10, TimeUnit.SECONDS).sendEvent("score", new Score("ann", 3));
    Event e = client.awaitEvent();
    assertThat(e.type()).isEqualTo("score");
    assertThat(
            TypedJsonCodec.<Score, Score>of(Score.class)
                .decode(io.servicekit.Message.text(e.data())))
        .isEqualTo(new Score("ann", 3));
  }

  @Test
  void defaultConfigWorks() throws Exception {
    ServiceKitServer server =
        ServiceKitServer.builder().port(0).sse("/sse", r -> new Recorded()).build().start();
    closeables.add(server);
    TestSseClient client = client(server);
    client.awaitOpen();
    poll(started).send(SseEvent.of("x"));
    assertThat(client.awaitEvent().data()).isEqualTo("x");
  }

  @Test
  void validationRejectsWithItsStatusBeforeAnyStream() throws Exception {
    ServiceKitServer server =
        serve(
            r -> {
              if (r.header("Authorization").isEmpty()) {
                throw Rejection.of(401, "Missing token").header("WWW-Authenticate", "Bearer");
              }
              return new Recorded();
            },
            config().build());
    HttpResponse<String> res =
        HttpClient.newHttpClient()
            .send(
                HttpRequest.newBuilder(server.uri().resolve("/sse")).build(),
                HttpResponse.BodyHandlers.ofString());
    assertThat(res.statusCode()).isEqualTo(401);
    assertThat(res.body()).isEqualTo("Missing token");
    assertThat(res.headers().firstValue("WWW-Authenticate")).hasValue("Bearer");
    TestSseClient client = client(server);
    assertThat(client.awaitClosed()).contains("401");
    assertThat(client.attempts()).hasSize(1);
    assertThat(started).isEmpty();
  }

  @Test
  void retryFieldsReachTheClient() throws Exception {
    ServiceKitServer server = serve(config().build());
    TestSseClient client = client(server);
    client.awaitOpen();
    SseSession<Object> s = poll(started);
    s.send(SseEvent.of("hint", "e1", 5000, "with retry"));
    s.sendRetry(Duration.ofMillis(3000));
    s.send(SseEvent.of("plain"));
    assertThat(client.awaitEvent()).isEqualTo(new Event("hint", "with retry", "e1", "e1", 5000));
    Event plain = client.awaitEvent();
    assertThat(plain.retry()).as("retry zero is omitted").isEqualTo(-1);
    assertThat(client.retryMillis()).as("the bare retry was honoured").isEqualTo(3000);
  }

  // ---------------------------------------------------------------- bad input (§C.2)

  @Test
  void nonGetMethodsGet405WithAllowGet() throws Exception {
    ServiceKitServer server = serve(config().build());
    HttpClient http = HttpClient.newHttpClient();
    for (String method : List.of("HEAD", "POST", "PUT", "DELETE")) {
      HttpResponse<String> res =
          http.send(
              HttpRequest.newBuilder(server.uri().resolve("/sse"))
                  .method(method, HttpRequest.BodyPublishers.noBody())
                  .build(),
              HttpResponse.BodyHandlers.ofString());
      assertThat(res.statusCode()).as(method).isEqualTo(405);
      assertThat(res.headers().firstValue("Allow")).as(method).hasValue("GET");
    }
    assertThat(started).isEmpty();
  }

  @Test
  void badLastEventIdHeadersGet400() throws Exception {
    ServiceKitServer server = serve(config().maxLastEventIdLength(16).build());
    String twice =
        rawExchange(
            server.port(),
            "GET /sse HTTP/1.1\r\nHost: x\r\nLast-Event-ID: 1\r\nLast-Event-ID: 2\r\nConnection: close\r\n\r\n",
            "at most once");
    assertThat(twice).startsWith("HTTP/1.1 400 ");
    TestSseClient tooLong = client(server, b -> b.lastEventId("x".repeat(17)));
    assertThat(tooLong.awaitClosed()).contains("400");
    assertThat(started).isEmpty();
  }

  @Test
  void noContentTellsTheClientToStop() throws Exception {
    ServiceKitServer server =
        serve(
            r -> {
              throw Rejection.noContent("feed is over").header("X-Feed", "over");
            },
            config().build());
    HttpResponse<String> res =
        HttpClient.newHttpClient()
            .send(
                HttpRequest.newBuilder(server.uri().resolve("/sse")).build(),
                HttpResponse.BodyHandlers.ofString());
    assertThat(res.statusCode()).isEqualTo(204);
    assertThat(res.body()).isEmpty();
    assertThat(res.headers().firstValue("X-Feed")).hasValue("over");
    assertThat(res.headers().firstValue("Content-Type")).isEmpty();
    TestSseClient client = client(server, b -> b.initialRetry(Duration.ofMillis(10)));
    assertThat(client.awaitClosed()).contains("204");
    assertThat(client.attempts()).extracting(TestSseClient.Attempt::status).containsExactly(204);
  }

  @Test
  void onOpenFailureAnswers500AndRunsOnClose() throws Exception {
    ServiceKitServer server =
        serve(
            r ->
                new Recorded() {
                  @Override
                  public void onOpen(SseSession<Object> s) {
                    throw new IllegalStateException("database down");
                  }
                },
            config().build());
    TestSseClient client = client(server, b -> b.initialRetry(Duration.ofMillis(10)));
    assertThat(client.awaitClosed()).contains("500");
    assertThat(poll(closes).reason()).isEqualTo(StreamEnd.Reason.START_FAILED);
  }

  // ---------------------------------------------------------------- reconnect and resume

  @Test
  void serverCloseMakesTheClientReconnectAfterRetryWithLastEventId() throws Exception {
    ServiceKitServer server = serve(config().retry(Duration.ofMillis(20)).build());
    TestSseClient client = client(server, b -> b);
    client.awaitOpen();
    SseSession<Object> first = poll(started);
    first.send(SseEvent.of("a").withId("7"));
    assertThat(client.awaitEvent().id()).isEqualTo("7");
    first.close();
    assertThat(poll(closes).reason()).isEqualTo(StreamEnd.Reason.CLOSED);
    TestSseClient.Attempt again = client.awaitOpen();
    assertThat(again.lastEventIdSent()).isEqualTo("7");
    assertThat(poll(started).lastEventId()).hasValue("7");
    assertThat(client.retryMillis()).isEqualTo(20);
  }

  @Test
  void resumableEndpointResumesWithoutLossOrDuplicatesAcrossDrops() throws Exception {
    ResumableStreams streams = ResumableStreams.inMemory();
    ServiceKitServer server =
        serve(config().retry(Duration.ofMillis(10)).resumable(streams).build());
    TestSseClient client = client(server, b -> b);
    client.awaitOpen();
    SseSession<Object> session = poll(started);
    List<String> seen = new ArrayList<>();
    List<String> expected = new ArrayList<>(); // every id published, in order
    int next = 1;
    for (int round = 0; round < 4; round++) {
      for (int i = 0; i < 5; i++) {
        expected.add(streams.publish("/sse", SseEvent.of("n" + next++)));
      }
      seen.addAll(client.awaitEvents(5).stream().map(Event::id).toList());
      if (round % 2 == 0) {
        client.disconnect(); // the client drops
      } else {
        session.close(); // the server ends the stream
      }
      poll(closes);
      // Published while the client is away: replayed when it comes back.
      for (int i = 0; i < 3; i++) {
        expected.add(streams.publish("/sse", SseEvent.of("n" + next++)));
      }
      session = poll(started);
      assertThat(session.lastEventId()).hasValue(seen.get(seen.size() - 1));
      seen.addAll(client.awaitEvents(3).stream().map(Event::id).toList());
    }
    assertThat(expected).doesNotHaveDuplicates().hasSize(next - 1);
    assertThat(seen).isEqualTo(expected);
    assertThat(client.drain()).isEmpty();
  }

  @Test
  void hubCloseAllSendsAFinalEventThenEndsEveryStream() throws Exception {
    SseHub<Object> hub = new SseHub<>();
    ServiceKitServer server =
        serve(
            r ->
                new Recorded() {
                  @Override
                  public void onOpen(SseSession<Object> s) {
                    hub.register(s);
                    super.onOpen(s);
                  }
                },
            config().build());
    List<TestSseClient> clients = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      TestSseClient c = client(server);
      c.awaitOpen();
      clients.add(c);
    }
    await().until(() -> hub.count() == 3);
    assertThat(hub.broadcastEvent("tick", 1)).isEqualTo(3);
    hub.closeAll("bye", Map.of("reason", "shutdown"));
    for (TestSseClient c : clients) {
      assertThat(c.awaitEvents(2)).extracting(Event::type).containsExactly("tick", "bye");
      assertThat(c.awaitClosed()).contains("reconnecting is off");
    }
    for (int i = 0; i < 3; i++) {
      assertThat(poll(closes).reason()).isEqualTo(StreamEnd.Reason.CLOSED);
    }
  }

  @Test
  void serverStopEndsOpenStreamsAndRunsOnClose() throws Exception {
    ServiceKitServer server = serve(config().build());
    TestSseClient client = client(server);
    client.awaitOpen();
    poll(started);
    server.stop();
    assertThat(poll(closes).reason()).isEqualTo(StreamEnd.Reason.DISCONNECTED);
    client.awaitClosed();
  }
}
