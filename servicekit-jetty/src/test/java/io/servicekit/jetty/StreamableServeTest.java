package io.servicekit.jetty;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.servicekit.Rejection;
import io.servicekit.sse.SseParser;
import io.servicekit.sse.SseParser.Event;
import io.servicekit.streamable.GracefulHandler;
import io.servicekit.streamable.SingleResponse;
import io.servicekit.streamable.StreamClosedException;
import io.servicekit.streamable.StreamResponse;
import io.servicekit.streamable.StreamableConfig;
import io.servicekit.streamable.StreamableHandler;
import io.servicekit.streamable.StreamableRequest;
import io.servicekit.streamable.StreamableResponse;
import io.servicekit.testkit.FakeScheduler;
import io.servicekit.testkit.TestStreamableClient;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** StreamableServe over a real Jetty on port 0 with real HTTP clients: upstream §13.7 and W-40. */
class StreamableServeTest {
  private static final HttpClient HTTP = HttpClient.newHttpClient();

  private final FakeScheduler time = new FakeScheduler();
  private final List<AutoCloseable> closeables = new ArrayList<>();
  private final BlockingQueue<StreamableRequest> requests = new LinkedBlockingQueue<>();

  @AfterEach
  void tearDown() throws Exception {
    for (int i = closeables.size() - 1; i >= 0; i--) {
      closeables.get(i).close();
    }
  }

  private URI serve(StreamableHandler handler, StreamableConfig config) throws Exception {
    StreamableHandler recording =
        request -> {
          requests.add(request);
          return handler.handle(request);
        };
    ServiceKitServer server =
        ServiceKitServer.builder()
            .port(0)
            .route("/rpc", StreamableServe.handler(recording, config))
            .build()
            .start();
    closeables.add(server);
    return server.uri().resolve("/rpc");
  }

  private StreamableConfig.Builder config() {
    return StreamableConfig.builder().scheduler(time);
  }

  private static HttpResponse<String> post(URI uri, String body, String... headers)
      throws Exception {
    HttpRequest.Builder b =
        HttpRequest.newBuilder(uri).POST(HttpRequest.BodyPublishers.ofString(body));
    if (headers.length > 0) {
      b.headers(headers);
    }
    return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void singleJsonResponse() throws Exception {
    URI uri =
        serve(
            r -> SingleResponse.json(200, "{\"echo\":" + r.bodyAsString() + "}"), config().build());
    HttpResponse<String> response =
        post(uri, "{\"a\":1}", "Content-Type", "application/json", "X-Trace", "t1");
    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(response.headers().firstValue("Content-Type")).hasValue("application/json");
    assertThat(response.body()).isEqualTo("{\"echo\":{\"a\":1}}");

    StreamableRequest seen = requests.poll(10, TimeUnit.SECONDS);
    assertThat(seen.method()).isEqualTo("POST");
    assertThat(seen.path()).isEqualTo("/rpc");
    assertThat(seen.mediaType()).hasValue("application/json");
    assertThat(seen.headers("x-trace")).containsExactly("t1");
  }

  @Test
  void emptyAcceptedResponseHasNoBodyAndNoContentType() throws Exception {
    URI uri =
        serve(r -> SingleResponse.empty(202).withHeader("Mcp-Session-Id", "s1"), config().build());
    HttpResponse<String> response = post(uri, "{\"jsonrpc\":\"2.0\",\"method\":\"n\"}");
    assertThat(response.statusCode()).isEqualTo(202);
    assertThat(response.body()).isEmpty();
    assertThat(response.headers().firstValue("Content-Type")).isEmpty();
    assertThat(response.headers().firstValue("Mcp-Session-Id")).hasValue("s1");
  }

  @Test
  void getWithoutBodyReachesTheHandler() throws Exception {
    URI uri = serve(r -> SingleResponse.json(200, "\"" + r.method() + "\""), config().build());
    HttpResponse<String> response =
        HTTP.send(HttpRequest.newBuilder(uri).build(), HttpResponse.BodyHandlers.ofString());
    assertThat(response.body()).isEqualTo("\"GET\"");
    assertThat(requests.poll(10, TimeUnit.SECONDS).body()).isEmpty();
  }

  @Test
  void streamOfSeveralEventsThenEnd() throws Exception {
    URI uri =
        serve(
            r ->
                StreamResponse.of(
                        sink -> {
                          for (int i = 1; i <= 3; i++) {
                            sink.send("progress", "req-" + i, "{\"seq\":" + i + "}");
                          }
                          sink.send(io.servicekit.sse.SseEvent.of("line1\nline2"));
                        })
                    .withHeader("Mcp-Session-Id", "abc"),
            config().retry(Duration.ofSeconds(2)).build());
    HttpResponse<String> response =
        post(uri, "{}", "Accept", "application/json, text/event-stream");
    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(response.headers().firstValue("Content-Type")).hasValue("text/event-stream");
    assertThat(response.headers().firstValue("Cache-Control")).hasValue("no-cache");
    assertThat(response.headers().firstValue("X-Accel-Buffering")).hasValue("no");
    assertThat(response.headers().firstValue("Mcp-Session-Id")).hasValue("abc");
    assertThat(response.body()).startsWith("retry: 2000\n\n");
    List<Event> events = SseParser.parse(response.body());
    assertThat(events).hasSize(4);
    assertThat(events.subList(0, 3))
        .extracting(Event::type, Event::id, Event::data)
        .containsExactly(
            org.assertj.core.groups.Tuple.tuple("progress", "req-1", "{\"seq\":1}"),
            org.assertj.core.groups.Tuple.tuple("progress", "req-2", "{\"seq\":2}"),
            org.assertj.core.groups.Tuple.tuple("progress", "req-3", "{\"seq\":3}"));
    assertThat(events.get(3).data()).isEqualTo("line1\nline2");
  }

  @Test
  void producerThatThrowsEndsTheStreamAfterWhatItSent() throws Exception {
    URI uri =
        serve(
            r ->
                StreamResponse.of(
                    sink -> {
                      sink.send(null, null, "before");
                      throw new IllegalStateException("producer broke (expected by the test)");
                    }),
            config().build());
    HttpResponse<String> response = post(uri, "{}");
    assertThat(SseParser.parse(response.body())).extracting(Event::data).containsExactly("before");
  }

  @Test
  void handlerExceptionIs500Json() throws Exception {
    URI uri =
        serve(
            r -> {
              throw new IllegalStateException("handler broke (expected by the test)");
            },
            config().build());
    HttpResponse<String> response = post(uri, "{}");
    assertThat(response.statusCode()).isEqualTo(500);
    assertThat(response.headers().firstValue("Content-Type")).hasValue("application/json");
    assertThat(response.body()).contains("\"error\":\"internal server error\"");
  }

  @Test
  void nullAnswerIs500() throws Exception {
    URI uri = serve(r -> null, config().build());
    assertThat(post(uri, "{}").statusCode()).isEqualTo(500);
  }

  @Test
  void handshakeRejectionAnswersItsStatusHeadersAndBody() throws Exception {
    URI uri =
        serve(
            r -> {
              throw Rejection.of(405, "method must be POST").header("Allow", "POST");
            },
            config().build());
    HttpResponse<String> response = post(uri, "{}");
    assertThat(response.statusCode()).isEqualTo(405);
    assertThat(response.headers().firstValue("Allow")).hasValue("POST");
    assertThat(response.body()).isEqualTo("method must be POST");
  }

  @Test
  void bodyOverTheLimitWithContentLengthIs413() throws Exception {
    URI uri = serve(r -> SingleResponse.json(200, "{}"), config().maxBodyBytes(1024).build());
    HttpResponse<String> response = post(uri, "x".repeat(1025));
    assertThat(response.statusCode()).isEqualTo(413);
    assertThat(response.body()).contains("Content-Length 1025").contains("maxBodyBytes 1024");
    assertThat(requests).isEmpty();
    // Exactly at the limit is fine.
    assertThat(post(uri, "x".repeat(1024)).statusCode()).isEqualTo(200);
  }

  @Test
  void chunkedBodyOverTheLimitIs413() throws Exception {
    URI uri = serve(r -> SingleResponse.json(200, "{}"), config().maxBodyBytes(1024).build());
    byte[] big = new byte[4096];
    Arrays.fill(big, (byte) 'x');
    HttpRequest request =
        HttpRequest.newBuilder(uri)
            .POST(
                HttpRequest.BodyPublishers.ofInputStream(
                    () -> new java.io.ByteArrayInputStream(big)))
            .build();
    HttpResponse<String> response = HTTP.send(request, HttpResponse.BodyHandlers.ofString());
    assertThat(response.statusCode()).isEqualTo(413);
    assertThat(response.body()).contains("maxBodyBytes 1024");
    assertThat(requests).isEmpty();
  }

  @Test
  void keepaliveCommentsWhileTheProducerWaits() throws Exception {
    CountDownLatch release = new CountDownLatch(1);
    URI uri =
        serve(
            r ->
                StreamResponse.of(
                    sink -> {
                      release.await();
                      sink.send(null, null, "done");
                    }),
            config().keepalivePeriod(Duration.ofSeconds(5)).build());
    try (TestStreamableClient.Stream stream = TestStreamableClient.of(uri).open("POST", "{}")) {
      assertThat(stream.status()).isEqualTo(200);
      time.advanceBy(Duration.ofSeconds(5));
      assertThat(stream.awaitComment()).isEqualTo("keepalive");
      time.advanceBy(Duration.ofSeconds(5));
      assertThat(stream.awaitComment()).isEqualTo("keepalive");
      release.countDown();
      assertThat(stream.awaitEvent().data()).isEqualTo("done");
      assertThat(stream.awaitEnd()).isEmpty();
      assertThat(stream.failures()).isEmpty();
    }
  }

  /**
   * A client that hangs up mid-stream: the producer is interrupted in its own wait or its next send
   * throws; onClose runs.
   */
  @Test
  void hangingUpEndsTheProducer() throws Exception {
    BlockingQueue<Object> outcome = new LinkedBlockingQueue<>();
    CountDownLatch hungUp = new CountDownLatch(1);
    URI uri =
        serve(
            r ->
                StreamResponse.of(
                    sink -> {
                      sink.onClose(() -> outcome.add("closed"));
                      sink.send(null, null, "first");
                      try {
                        hungUp.await(); // interrupted if the hang-up is noticed meanwhile
                        while (true) {
                          sink.send(null, null, "more");
                        }
                      } catch (StreamClosedException | InterruptedException e) {
                        outcome.add(e);
                      }
                    }),
            config().build());
    TestStreamableClient client = TestStreamableClient.of(uri).header("Mcp-Session-Id", "s1");
    try (TestStreamableClient.Stream stream = client.open("POST", "{}")) {
      assertThat(stream.awaitEvent().data()).isEqualTo("first");
      assertThat(requests.poll(10, TimeUnit.SECONDS).header("mcp-session-id")).hasValue("s1");
    }
    hungUp.countDown();
    List<Object> seen = new ArrayList<>();
    seen.add(outcome.poll(30, TimeUnit.SECONDS));
    seen.add(outcome.poll(30, TimeUnit.SECONDS));
    assertThat(seen).contains("closed");
    assertThat(seen.stream().filter(o -> !"closed".equals(o)))
        .singleElement()
        .isInstanceOfAny(StreamClosedException.class, InterruptedException.class);
  }

  @Test
  void testClientReadsJsonAndStreams() throws Exception {
    URI uri =
        serve(
            r ->
                r.accept().acceptsEventStream()
                    ? StreamResponse.of(sink -> sink.send("m", "1", "streamed"))
                    : SingleResponse.json(200, "{\"single\":true}"),
            config().build());
    TestStreamableClient client = TestStreamableClient.of(uri);
    TestStreamableClient.Response streamed = client.post("{}");
    assertThat(streamed.isEventStream()).isTrue();
    assertThat(streamed.events()).extracting(Event::data).containsExactly("streamed");
    TestStreamableClient.Response json = client.header("Accept", "application/json").post("{}");
    assertThat(json.isEventStream()).isFalse();
    assertThat(json.body()).isEqualTo("{\"single\":true}");
    org.assertj.core.api.Assertions.assertThatThrownBy(json::events)
        .isInstanceOf(AssertionError.class)
        .hasMessageContaining("not an event stream");
  }

  /**
   * W-40: a producer blocked on a full queue learns that the client went away and its thread ends.
   */
  @Test
  void producerBlockedOnAFullQueueEndsWhenTheClientLeaves() throws Exception {
    AtomicReference<Thread> producer = new AtomicReference<>();
    AtomicReference<Throwable> outcome = new AtomicReference<>();
    CountDownLatch closed = new CountDownLatch(1);
    String chunk = "x".repeat(64 * 1024);
    URI uri =
        serve(
            r ->
                StreamResponse.of(
                    sink -> {
                      producer.set(Thread.currentThread());
                      sink.onClose(closed::countDown);
                      try {
                        while (true) {
                          sink.send(null, null, chunk);
                        }
                      } catch (Throwable e) {
                        outcome.set(e);
                        throw e;
                      }
                    }),
            config().queueCapacity(2).maxQueuedBytes(256 * 1024).build());
    try (Socket socket = new Socket(uri.getHost(), uri.getPort())) {
      OutputStream out = socket.getOutputStream();
      out.write(
          ("POST /rpc HTTP/1.1\r\nHost: localhost\r\nContent-Length: 2\r\n\r\n{}")
              .getBytes(StandardCharsets.US_ASCII));
      out.flush();
      InputStream in = socket.getInputStream();
      byte[] head = in.readNBytes(12);
      assertThat(new String(head, StandardCharsets.US_ASCII)).isEqualTo("HTTP/1.1 200");
      // Read nothing more: the socket buffers fill, then the queue, then send() blocks.
      await()
          .atMost(Duration.ofSeconds(30))
          .until(() -> producer.get() != null && blockedInSend(producer.get()));
    }
    assertThat(closed.await(30, TimeUnit.SECONDS)).isTrue();
    producer.get().join(Duration.ofSeconds(30));
    assertThat(producer.get().isAlive()).isFalse();
    assertThat(outcome.get()).isInstanceOf(StreamClosedException.class);
  }

  /**
   * An idle stream (nothing written, keepalives off) still learns at once that the client left: the
   * producer, waiting on something of its own, is interrupted and onClose runs.
   */
  @Test
  void idleStreamNoticesTheClientLeaving() throws Exception {
    BlockingQueue<Object> outcome = new LinkedBlockingQueue<>();
    CountDownLatch started = new CountDownLatch(1);
    URI uri =
        serve(
            r ->
                StreamResponse.of(
                    sink -> {
                      sink.onClose(() -> outcome.add("closed"));
                      started.countDown();
                      try {
                        new CountDownLatch(1).await(); // the application's own wait
                      } catch (InterruptedException e) {
                        outcome.add(e);
                        assertThat(sink.isOpen()).isFalse();
                      }
                    }),
            config().keepalivePeriod(Duration.ZERO).build());
    try (Socket socket = new Socket(uri.getHost(), uri.getPort())) {
      OutputStream out = socket.getOutputStream();
      out.write(
          ("POST /rpc HTTP/1.1\r\nHost: localhost\r\nContent-Length: 2\r\n\r\n{}")
              .getBytes(StandardCharsets.US_ASCII));
      out.flush();
      byte[] head = socket.getInputStream().readNBytes(12);
      assertThat(new String(head, StandardCharsets.US_ASCII)).isEqualTo("HTTP/1.1 200");
      assertThat(started.await(10, TimeUnit.SECONDS)).isTrue();
    }
    List<Object> seen = new ArrayList<>();
    seen.add(outcome.poll(30, TimeUnit.SECONDS));
    seen.add(outcome.poll(30, TimeUnit.SECONDS));
    assertThat(seen).contains("closed").hasAtLeastOneElementOfType(InterruptedException.class);
  }

  private static boolean blockedInSend(Thread t) {
    if (t.getState() != Thread.State.WAITING) {
      return false;
    }
    for (StackTraceElement e : t.getStackTrace()) {
      if (e.getClassName().endsWith("StreamableStream") && e.getMethodName().equals("enqueue")) {
        return true;
      }
    }
    return false;
  }

  @Test
  void sinkThrowsAfterCloseAndOnCloseRunsOnce() throws Exception {
    BlockingQueue<Object> results = new LinkedBlockingQueue<>();
    URI uri =
        serve(
            r ->
                StreamResponse.of(
                    sink -> {
                      sink.onClose(() -> results.add("closed"));
                      sink.send(null, null, "one");
                      sink.close();
                      results.add(sink.isOpen());
                      try {
                        sink.send(null, null, "two");
                      } catch (StreamClosedException e) {
                        results.add(e);
                      }
                      sink.close();
                    }),
            config().build());
    HttpResponse<String> response = post(uri, "{}");
    assertThat(SseParser.parse(response.body())).extracting(Event::data).containsExactly("one");
    List<Object> seen = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      seen.add(results.poll(10, TimeUnit.SECONDS));
    }
    // onClose runs on another thread, so only the producer's own results are ordered.
    assertThat(seen).containsOnlyOnce("closed");
    List<Object> own = seen.stream().filter(o -> !"closed".equals(o)).toList();
    assertThat(own.get(0)).isEqualTo(false);
    assertThat(own.get(1)).isInstanceOf(StreamClosedException.class);
  }

  /** A handler that records its graceful shutdown and its close. */
  private static final class Holding implements GracefulHandler, AutoCloseable {
    final List<String> calls = new java.util.concurrent.CopyOnWriteArrayList<>();

    @Override
    public StreamableResponse handle(StreamableRequest request) {
      return SingleResponse.json(200, "{}");
    }

    @Override
    public CompletionStage<?> shutdown() {
      calls.add("shutdown");
      return CompletableFuture.completedFuture(null);
    }

    @Override
    public void close() {
      calls.add("close");
    }
  }

  @Test
  void gracefulHandlerIsShutDownBeforeTheHooksAndAutoCloseableIsClosedOnStop() throws Exception {
    Holding handler = new Holding();
    StreamableServe serve =
        StreamableServe.handler(handler)
            .onShutdown(
                () -> {
                  handler.calls.add("hook");
                  return CompletableFuture.completedFuture(null);
                });
    ServiceKitServer server =
        ServiceKitServer.builder().port(0).route("/rpc", serve).build().start();
    assertThat(post(server.uri().resolve("/rpc"), "{}").statusCode()).isEqualTo(200);
    serve.shutdown().get(20, TimeUnit.SECONDS);
    assertThat(handler.calls).containsExactly("shutdown", "hook");
    server.close();
    assertThat(handler.calls).containsExactly("shutdown", "hook", "close");

    Holding plain = new Holding(); // not closed when wrapped in a handler that is neither
    StreamableServe wrapped = StreamableServe.handler(plain::handle);
    ServiceKitServer other =
        ServiceKitServer.builder().port(0).route("/rpc", wrapped).build().start();
    wrapped.shutdown().get(20, TimeUnit.SECONDS);
    other.close();
    assertThat(plain.calls).isEmpty();
  }
}
