package io.servicekit.netty.contract;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.servicekit.JsonCodec;
import io.servicekit.Rejection;
import io.servicekit.SlowConsumerPolicy;
import io.servicekit.sse.ResumableStreams;
import io.servicekit.sse.SseConfig;
import io.servicekit.sse.SseEvent;
import io.servicekit.sse.SseListener;
import io.servicekit.sse.SseParser.Event;
import io.servicekit.sse.SseSession;
import io.servicekit.sse.StreamEnd;
import io.servicekit.testkit.FakeScheduler;
import io.servicekit.testkit.TestSseClient;
import java.io.InputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The SSE binding contract: what every server binding does the same for Server-Sent Events routes
 * over real sockets, with the test kit's {@link TestSseClient} (and {@code java.net.http} or a raw
 * socket where a client must misbehave). Runs against Jetty (the reference) and Netty.
 *
 * <p>Routes: {@code /events} (a recording JSON listener, fake time), {@code /auth} (401 unless
 * {@code ?token=letmein}), {@code /once} (one event, then the application closes), {@code /gone}
 * (204) and {@code /fails} (its {@code onOpen} throws).
 */
public abstract class SseBindingContract {
  private final FakeScheduler time = new FakeScheduler();
  private final BlockingQueue<SseSession<Object>> opened = new LinkedBlockingQueue<>();
  private final BlockingQueue<StreamEnd> closes = new LinkedBlockingQueue<>();
  private final List<AutoCloseable> closeables = new ArrayList<>();
  private SseBinding.Running server;

  /** The binding under test. */
  protected abstract SseBinding binding();

  @AfterEach
  void tearDown() throws Exception {
    for (int i = closeables.size() - 1; i >= 0; i--) {
      closeables.get(i).close();
    }
    if (server != null) {
      server.close();
    }
  }

  private final class Recorded implements SseListener<Object> {
    @Override
    public JsonCodec codec() {
      return JsonCodec.INSTANCE;
    }

    @Override
    public void onOpen(SseSession<Object> session) {
      opened.add(session);
    }

    @Override
    public void onClose(SseSession<Object> session, StreamEnd end) {
      closes.add(end);
    }
  }

  private SseBinding.Running start(UnaryOperator<SseConfig.Builder> tune) throws Exception {
    // Fake time; a jump of the fake clock makes a real write still completing look stuck for the
    // whole jump, so the write timeout is long.
    SseConfig config =
        tune.apply(
                SseConfig.builder()
                    .scheduler(time)
                    .writeTimeout(Duration.ofDays(1))
                    .keepalivePeriod(Duration.ZERO))
            .build();
    server =
        binding()
            .server()
            .sse("/events", request -> new Recorded(), config)
            .sse(
                "/auth",
                request -> {
                  if (!request.queryParam("token").orElse("").equals("letmein")) {
                    throw Rejection.of(401, "missing or wrong token")
                        .header("WWW-Authenticate", "Bearer realm=\"servicekit\"");
                  }
                  return new Recorded();
                },
                config)
            .sse(
                "/once",
                request ->
                    SseListener.json(
                        session -> {
                          session.sendEventWithId("update", "evt-1", java.util.Map.of("k", "v"));
                          session.close();
                        }),
                config)
            .sse(
                "/gone",
                request -> {
                  throw Rejection.noContent();
                },
                config)
            .sse(
                "/fails",
                request ->
                    SseListener.of(
                        JsonCodec.INSTANCE,
                        session -> {
                          throw new IllegalStateException("onOpen fails on purpose");
                        }),
                config)
            .start();
    return server;
  }

  private SseBinding.Running start() throws Exception {
    return start(b -> b);
  }

  private TestSseClient client(String path, UnaryOperator<TestSseClient.Builder> options) {
    TestSseClient c =
        options.apply(TestSseClient.builder(server.uri().resolve(path)).reconnect(false)).connect();
    closeables.add(c);
    return c;
  }

  private static <T> T poll(BlockingQueue<T> q) throws InterruptedException {
    T t = q.poll(10, TimeUnit.SECONDS);
    assertThat(t).as("nothing within 10 s").isNotNull();
    return t;
  }

  private HttpResponse<String> http(String method, String path, String... headers)
      throws Exception {
    try (HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build()) {
      HttpRequest.Builder b =
          HttpRequest.newBuilder(server.uri().resolve(path))
              .timeout(Duration.ofSeconds(10))
              .method(method, HttpRequest.BodyPublishers.noBody());
      if (headers.length > 0) {
        b.headers(headers);
      }
      return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }
  }

  private String rawExchange(String request, String untilContains) throws Exception {
    URI uri = server.uri();
    try (Socket s = new Socket(uri.getHost(), uri.getPort())) {
      s.setSoTimeout(10_000);
      s.getOutputStream().write(request.getBytes(StandardCharsets.US_ASCII));
      InputStream in = s.getInputStream();
      java.io.ByteArrayOutputStream got = new java.io.ByteArrayOutputStream();
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

  // ------------------------------------------------------------------ streams

  @Test
  void theBytesOnTheWireAreTheSseFramingChunkedOnHttp11AndRawOnHttp10() throws Exception {
    start();
    // HTTP/1.0: no chunking, so the body is the exact SSE bytes, ended by the server's close.
    String http10 = rawExchange("GET /once HTTP/1.0\r\nHost: localhost\r\n\r\n", "\0");
    assertThat(http10).startsWith("HTTP/1.1 200 OK\r\n").doesNotContainIgnoringCase("chunked");
    assertThat(http10.toLowerCase(java.util.Locale.ROOT))
        .contains("\r\ncontent-type: text/event-stream\r\n")
        .contains("\r\ncache-control: no-cache\r\n")
        .contains("\r\nx-accel-buffering: no\r\n")
        .doesNotContain("connection: keep-alive");
    assertThat(http10.substring(http10.indexOf("\r\n\r\n") + 4))
        .isEqualTo("event: update\nid: evt-1\ndata: {\"k\":\"v\"}\n\n");
    String http11 = rawExchange("GET /once HTTP/1.1\r\nHost: localhost\r\n\r\n", "\r\n0\r\n\r\n");
    assertThat(http11.toLowerCase(java.util.Locale.ROOT))
        .startsWith("http/1.1 200 ok\r\n")
        .contains("\r\nconnection: keep-alive\r\n")
        .contains("\r\ntransfer-encoding: chunked\r\n")
        .contains("event: update\nid: evt-1\ndata: {\"k\":\"v\"}\n\n")
        .endsWith("\r\n0\r\n\r\n");
  }

  @Test
  void aNoContentRejectionGets204WithoutABody() throws Exception {
    start();
    HttpResponse<String> r = http("GET", "/gone");
    assertThat(r.statusCode()).isEqualTo(204);
    assertThat(r.body()).isEmpty();
  }

  @Test
  void eventsArriveWithTheirIdEventAndDataFraming() throws Exception {
    start();
    TestSseClient client = client("/events", b -> b);
    TestSseClient.Attempt a = client.awaitOpen();
    assertThat(a.status()).isEqualTo(200);
    assertThat(a.header("Content-Type")).isEqualTo("text/event-stream");
    assertThat(a.header("Cache-Control")).isEqualTo("no-cache");
    assertThat(a.header("X-Accel-Buffering")).isEqualTo("no");
    SseSession<Object> s = poll(opened);
    s.send(SseEvent.of("{\"hello\":\"world\"}"));
    s.send(SseEvent.named("update", "line one\nline two").withId("evt-7"));
    s.sendEvent("joined", java.util.Map.of("user", 1));
    assertThat(client.awaitEvents(3))
        .containsExactly(
            new Event("message", "{\"hello\":\"world\"}", null, "", -1),
            new Event("update", "line one\nline two", "evt-7", "evt-7", -1),
            new Event("joined", "{\"user\":1}", null, "evt-7", -1));
  }

  @Test
  void theLastEventIdReachesTheHandlerAndTheSession() throws Exception {
    start();
    TestSseClient client = client("/events", b -> b.lastEventId("41"));
    client.awaitOpen();
    SseSession<Object> s = poll(opened);
    assertThat(s.lastEventId()).contains("41");
    assertThat(s.request().header("Last-Event-ID")).contains("41");
  }

  @Test
  void aTooLongOrRepeatedLastEventIdGets400() throws Exception {
    start(b -> b.maxLastEventIdLength(16));
    assertThat(http("GET", "/events", "Last-Event-ID", "x".repeat(17)).statusCode()).isEqualTo(400);
    assertThat(http("GET", "/events", "Last-Event-ID", "1", "Last-Event-ID", "2").statusCode())
        .isEqualTo(400);
    assertThat(opened).isEmpty();
  }

  @Test
  void aRejectionBecomesItsStatusHeadersAndBody() throws Exception {
    start();
    HttpResponse<String> r = http("GET", "/auth", "Accept", "text/event-stream");
    assertThat(r.statusCode()).isEqualTo(401);
    assertThat(r.body()).isEqualTo("missing or wrong token");
    assertThat(r.headers().firstValue("WWW-Authenticate")).contains("Bearer realm=\"servicekit\"");
    TestSseClient ok = client("/auth?token=letmein", b -> b);
    assertThat(ok.awaitOpen().status()).isEqualTo(200);
  }

  @Test
  void anOnOpenThatThrowsGets500InsteadOfAStream() throws Exception {
    start();
    HttpResponse<String> r = http("GET", "/fails");
    assertThat(r.statusCode()).isEqualTo(500);
    assertThat(r.headers().firstValue("Content-Type").orElse("")).doesNotContain("event-stream");
  }

  @Test
  void anUnknownPathGets404AndAnotherMethod405WithAllowGet() throws Exception {
    start();
    assertThat(http("GET", "/nowhere").statusCode()).isEqualTo(404);
    for (String method : List.of("POST", "PUT", "DELETE")) {
      HttpResponse<String> r = http(method, "/events");
      assertThat(r.statusCode()).as(method).isEqualTo(405);
      assertThat(r.headers().firstValue("Allow")).as(method).contains("GET");
    }
    assertThat(opened).isEmpty();
  }

  @Test
  void keepaliveCommentsFollowTheConfiguredPeriod() throws Exception {
    start(b -> b.keepalivePeriod(Duration.ofMillis(50)));
    TestSseClient client = client("/events", b -> b);
    client.awaitOpen();
    poll(opened);
    time.advanceBy(Duration.ofMillis(50));
    assertThat(client.awaitComment()).isEqualTo("keepalive");
    time.advanceBy(Duration.ofMillis(100));
    assertThat(client.awaitComment()).isEqualTo("keepalive");
    assertThat(client.awaitComment()).isEqualTo("keepalive");
    assertThat(client.receivedCount()).isZero();
  }

  @Test
  void aClientThatLeavesEndsTheStreamAsDisconnectedOnce() throws Exception {
    start();
    TestSseClient client = client("/events", b -> b);
    client.awaitOpen();
    SseSession<Object> s = poll(opened);
    client.close();
    assertThat(poll(closes).reason()).isEqualTo(StreamEnd.Reason.DISCONNECTED);
    assertThat(s.isOpen()).isFalse();
    assertThat(closes.poll(200, TimeUnit.MILLISECONDS)).as("onClose exactly once").isNull();
  }

  @Test
  void theApplicationClosingTheStreamEndsTheResponse() throws Exception {
    start();
    TestSseClient client = client("/events", b -> b);
    client.awaitOpen();
    SseSession<Object> s = poll(opened);
    s.send(SseEvent.of("last"));
    s.close();
    assertThat(client.awaitEvent().data()).isEqualTo("last");
    client.awaitClosed();
    assertThat(poll(closes).reason()).isEqualTo(StreamEnd.Reason.CLOSED);
  }

  @Test
  void aReaderThatDoesNotReadMeetsTheSlowConsumerPolicy() throws Exception {
    start(b -> b.maxQueuedBytes(256 * 1024).slowConsumerPolicy(SlowConsumerPolicy.CLOSE));
    URI uri = server.uri();
    try (Socket stalled = new Socket(uri.getHost(), uri.getPort())) {
      stalled
          .getOutputStream()
          .write(
              ("GET /events HTTP/1.1\r\nHost: localhost\r\nAccept: text/event-stream\r\n\r\n")
                  .getBytes(StandardCharsets.US_ASCII));
      SseSession<Object> s = poll(opened);
      SseEvent chunk = SseEvent.of("x".repeat(16 * 1024));
      int sent = 0;
      while (sent < 100_000 && s.send(chunk)) {
        sent++;
      }
      assertThat(sent).as("sends refused once the budget is spent").isLessThan(100_000);
      assertThat(poll(closes).reason()).isEqualTo(StreamEnd.Reason.SLOW_CONSUMER);
      assertThat(s.send(chunk)).isFalse();
      assertThat(s.isOpen()).isFalse();
    }
  }

  @Test
  void aWriteThatMakesNoProgressEndsTheStreamAfterTheWriteTimeout() throws Exception {
    start(b -> b.maxQueuedBytes(64L << 20).writeTimeout(Duration.ofSeconds(5)));
    URI uri = server.uri();
    try (Socket stalled = new Socket(uri.getHost(), uri.getPort())) {
      stalled
          .getOutputStream()
          .write(
              ("GET /events HTTP/1.1\r\nHost: localhost\r\n\r\n")
                  .getBytes(StandardCharsets.US_ASCII));
      SseSession<Object> s = poll(opened);
      SseEvent chunk = SseEvent.of("y".repeat(64 * 1024));
      for (int i = 0; i < 200; i++) {
        assertThat(s.send(chunk)).isTrue();
      }
      // The socket buffers fill and the writer is stuck on one write.
      await().atMost(Duration.ofSeconds(10)).until(() -> s.queuedBytes() > 1 << 20);
      time.advanceBy(Duration.ofSeconds(4));
      assertThat(s.isOpen()).isTrue();
      time.advanceBy(Duration.ofSeconds(2));
      assertThat(poll(closes).reason()).isEqualTo(StreamEnd.Reason.WRITE_TIMEOUT);
    }
  }

  @Test
  void aResumableStreamReplaysWhatTheClientMissedAfterADrop() throws Exception {
    ResumableStreams streams = ResumableStreams.inMemory();
    start(b -> b.retry(Duration.ofMillis(10)).resumable(streams));
    TestSseClient client = client("/events", b -> b.reconnect(true));
    client.awaitOpen();
    SseSession<Object> session = poll(opened);
    List<String> expected = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      expected.add(streams.publish("/events", SseEvent.of("n" + i)));
    }
    List<String> seen = new ArrayList<>(client.awaitEvents(3).stream().map(Event::id).toList());
    client.disconnect();
    assertThat(poll(closes).reason()).isEqualTo(StreamEnd.Reason.DISCONNECTED);
    for (int i = 3; i < 6; i++) {
      expected.add(streams.publish("/events", SseEvent.of("n" + i)));
    }
    session = poll(opened);
    assertThat(session.lastEventId()).hasValue(seen.get(2));
    seen.addAll(client.awaitEvents(3).stream().map(Event::id).toList());
    assertThat(seen).isEqualTo(expected).doesNotHaveDuplicates();
  }

  @Test
  void shuttingDownSendsTheShutdownEventAndEndsTheStream() throws Exception {
    start();
    TestSseClient client = client("/events", b -> b);
    client.awaitOpen();
    poll(opened);
    server.shutDown();
    Event last = client.awaitEvent();
    assertThat(last.type()).isEqualTo("shutdown");
    assertThat(last.data()).isEqualTo("{\"reason\":\"server shutting down\"}");
    client.awaitClosed();
    assertThat(poll(closes).reason()).isEqualTo(StreamEnd.Reason.CLOSED);
  }
}
