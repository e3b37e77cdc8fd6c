package io.servicekit.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.servicekit.Rejection;
import io.servicekit.jetty.ServiceKitServer;
import io.servicekit.sse.ResumableStreams;
import io.servicekit.sse.SseConfig;
import io.servicekit.sse.SseEvent;
import io.servicekit.sse.SseListener;
import io.servicekit.sse.SseParser;
import io.servicekit.sse.SseSession;
import io.servicekit.testkit.FakeScheduler;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** {@link SseClient} against a real ServiceKit SSE endpoint with resumption, on port 0. */
class SseClientTest {
  private final FakeScheduler serverTime = new FakeScheduler();
  private final FakeScheduler clientTime = new FakeScheduler();
  private final ResumableStreams streams =
      ResumableStreams.builder()
          .idGen(new io.servicekit.sse.AtomicIdGen())
          .build(); // ids "1", "2", ...
  private final BlockingQueue<SseSession<Object>> started = new LinkedBlockingQueue<>();
  private final List<AutoCloseable> closeables = new ArrayList<>();
  private final java.util.concurrent.atomic.AtomicInteger flakyCalls =
      new java.util.concurrent.atomic.AtomicInteger();
  private ServiceKitServer server;

  /** Records every callback of an {@link SseClient}. */
  static final class Rec implements SseClient.Listener {
    final BlockingQueue<String> opens = new LinkedBlockingQueue<>();
    final BlockingQueue<SseParser.Event> events = new LinkedBlockingQueue<>();
    final BlockingQueue<Throwable> errors = new LinkedBlockingQueue<>();
    final BlockingQueue<Recorder.Reconnecting> reconnects = new LinkedBlockingQueue<>();
    final BlockingQueue<String> closes = new LinkedBlockingQueue<>();

    @Override
    public void onOpen() {
      opens.add("open");
    }

    @Override
    public void onEvent(SseParser.Event event) {
      events.add(event);
    }

    @Override
    public void onError(Throwable error) {
      errors.add(error);
    }

    @Override
    public void onReconnecting(int attempt, Duration delay) {
      reconnects.add(new Recorder.Reconnecting(attempt, delay));
    }

    @Override
    public void onClose() {
      closes.add("closed");
    }
  }

  @BeforeEach
  void start() throws Exception {
    SseConfig resumable =
        SseConfig.builder()
            .scheduler(serverTime)
            .retry(Duration.ofMillis(250))
            .resumable(streams)
            .build();
    SseConfig plain = SseConfig.builder().scheduler(serverTime).build();
    server =
        ServiceKitServer.builder()
            .port(0)
            .sse("/sse", r -> SseListener.json(started::add), resumable)
            .sse(
                "/gone",
                r -> {
                  throw Rejection.noContent("no more events for you");
                },
                plain)
            .sse(
                "/forbidden",
                r -> {
                  throw Rejection.of(403, "not yours");
                },
                plain)
            .route(
                "/flaky",
                new Handler.Abstract() {
                  @Override
                  public boolean handle(Request request, Response response, Callback callback) {
                    if (flakyCalls.incrementAndGet() == 1) {
                      response.setStatus(503);
                      response.getHeaders().put("Retry-After", "7");
                      Content.Sink.write(response, true, "warming up", callback);
                    } else {
                      response.getHeaders().put("Content-Type", "text/event-stream");
                      Content.Sink.write(response, true, "data: ready\n\n", callback);
                    }
                    return true;
                  }
                })
            .route("/huge", text("data: " + "x".repeat(5000) + "\n\n"))
            .route(
                "/named",
                text("event: tick\nid: t1\ndata: 1\n\nevent: tock\ndata: 2\n\ndata: plain\n\n"))
            .build()
            .start();
    closeables.add(server);
  }

  @AfterEach
  void stop() throws Exception {
    for (int i = closeables.size() - 1; i >= 0; i--) {
      closeables.get(i).close();
    }
  }

  /** A handler answering every request with {@code body} as a finished event stream. */
  private static Handler text(String body) {
    return new Handler.Abstract() {
      @Override
      public boolean handle(Request request, Response response, Callback callback) {
        response.getHeaders().put("Content-Type", "text/event-stream");
        Content.Sink.write(response, true, body, callback);
        return true;
      }
    };
  }

  private SseClient.Builder client(String path, Rec rec) {
    return SseClient.builder(server.uri().resolve(path))
        .listener(rec)
        .scheduler(clientTime)
        .random(() -> 0.5);
  }

  private SseClient track(SseClient c) {
    closeables.add(c);
    return c;
  }

  private static <E> E poll(BlockingQueue<E> q) throws InterruptedException {
    return Recorder.poll(q);
  }

  private static SseParser.Event data(String data, String id) {
    return new SseParser.Event("message", data, id, id, -1);
  }

  @Test
  void resumesWithLastEventIdAfterAServerSideDropWithoutLossAndHonoursRetry() throws Exception {
    Rec rec = new Rec();
    SseClient client = track(client("/sse", rec).build());
    client.connect().get(20, TimeUnit.SECONDS);
    SseSession<Object> first = poll(started);
    assertThat(first.lastEventId()).isEmpty();
    for (int i = 1; i <= 3; i++) {
      streams.publish("/sse", SseEvent.of("n" + i));
    }
    assertThat(poll(rec.events)).isEqualTo(data("n1", "1"));
    assertThat(poll(rec.events)).isEqualTo(data("n2", "2"));
    assertThat(poll(rec.events)).isEqualTo(data("n3", "3"));
    assertThat(client.retryMillis()).isEqualTo(250);

    first.close(); // the server ends the stream
    // The server's retry hint (250 ms) is the delay, not the policy's 3 s default.
    assertThat(poll(rec.reconnects))
        .isEqualTo(new Recorder.Reconnecting(1, Duration.ofMillis(250)));
    streams.publish("/sse", SseEvent.of("n4")); // published while the client is away
    streams.publish("/sse", SseEvent.of("n5"));
    clientTime.advanceBy(Duration.ofMillis(250));

    SseSession<Object> second = poll(started);
    assertThat(second.lastEventId()).isEqualTo(Optional.of("3"));
    assertThat(poll(rec.events)).isEqualTo(data("n4", "4"));
    assertThat(poll(rec.events)).isEqualTo(data("n5", "5"));
    streams.publish("/sse", SseEvent.of("n6"));
    assertThat(poll(rec.events)).isEqualTo(data("n6", "6"));
    assertThat(client.lastEventId()).isEqualTo("6");
    assertThat(rec.opens).hasSize(2);

    client.close();
    client.closed().get(20, TimeUnit.SECONDS);
    assertThat(poll(rec.closes)).isEqualTo("closed");
    assertThat(rec.errors).isEmpty();
    assertThat(rec.events).isEmpty();
  }

  @Test
  void startsFromAGivenLastEventId() throws Exception {
    for (int i = 1; i <= 4; i++) {
      streams.publish("/sse", SseEvent.of("n" + i));
    }
    Rec rec = new Rec();
    SseClient client = track(client("/sse", rec).lastEventId("2").build());
    client.connect().get(20, TimeUnit.SECONDS);
    assertThat(poll(rec.events)).isEqualTo(data("n3", "3"));
    assertThat(poll(rec.events)).isEqualTo(data("n4", "4"));
  }

  @Test
  void status204StopsTheClient() throws Exception {
    Rec rec = new Rec();
    SseClient client = track(client("/gone", rec).build());
    assertThatThrownBy(() -> client.connect().join())
        .isInstanceOf(CompletionException.class)
        .hasMessageContaining("closed before it opened");
    assertThat(poll(rec.closes)).isEqualTo("closed");
    assertThat(rec.reconnects).isEmpty();
    assertThat(rec.errors).isEmpty();
    assertThat(clientTime.pendingTasks()).isZero();
  }

  @Test
  void refusedRequestReportsStatusAndBodyAndStops() throws Exception {
    Rec rec = new Rec();
    SseClient client = track(client("/forbidden", rec).build());
    client.connect().exceptionally(t -> null).get(20, TimeUnit.SECONDS);
    assertThat(poll(rec.errors))
        .isInstanceOfSatisfying(
            HttpStatusException.class,
            e -> {
              assertThat(e.status()).isEqualTo(403);
              assertThat(e.body()).contains("not yours");
            });
    client.closed().get(20, TimeUnit.SECONDS);
    assertThat(rec.reconnects).isEmpty();
  }

  @Test
  void status503IsRetriedNoSoonerThanItsRetryAfter() throws Exception {
    Rec rec = new Rec();
    SseClient client = track(client("/flaky", rec).build());
    client.connect();
    assertThat(poll(rec.errors))
        .isInstanceOfSatisfying(
            HttpStatusException.class,
            e -> {
              assertThat(e.status()).isEqualTo(503);
              assertThat(e.body()).isEqualTo("warming up");
            });
    // Retry-After: 7 is a floor above the backoff's 1.5 s (half of 3 s with random 0.5)
    assertThat(poll(rec.reconnects)).isEqualTo(new Recorder.Reconnecting(1, Duration.ofSeconds(7)));
    clientTime.advanceBy(Duration.ofSeconds(7));
    assertThat(poll(rec.events).data()).isEqualTo("ready");
    client.connect().get(20, TimeUnit.SECONDS);
  }

  @Test
  void overLongLinesAreRefusedWithAClearError() throws Exception {
    Rec rec = new Rec();
    SseClient client = track(client("/huge", rec).maxLineBytes(1000).build());
    client.connect();
    assertThat(poll(rec.errors))
        .isInstanceOf(SseParser.LimitException.class)
        .hasMessageContaining("maxLineBytes=1000");
    client.closed().get(20, TimeUnit.SECONDS);
    assertThat(rec.reconnects).isEmpty();

    Rec rec2 = new Rec();
    SseClient small = track(client("/huge", rec2).maxEventBytes(100).build());
    small.connect();
    assertThat(poll(rec2.errors)).hasMessageContaining("maxEventBytes=100");
  }

  @Test
  void namedEventsGoToTheirHandlersAndAnEndedStreamIsReconnected() throws Exception {
    Rec rec = new Rec();
    BlockingQueue<SseParser.Event> ticks = new LinkedBlockingQueue<>();
    SseClient client = track(client("/named", rec).on("tick", ticks::add).build());
    client.connect().get(20, TimeUnit.SECONDS);
    assertThat(poll(ticks)).isEqualTo(new SseParser.Event("tick", "1", "t1", "t1", -1));
    assertThat(poll(rec.events)).isEqualTo(new SseParser.Event("tock", "2", null, "t1", -1));
    assertThat(poll(rec.events)).isEqualTo(new SseParser.Event("message", "plain", null, "t1", -1));
    // The response ended: reconnect within the policy's initial 3 s (no retry hint here), full
    // jitter with random 0.5: 1.5 s.
    assertThat(poll(rec.reconnects))
        .isEqualTo(new Recorder.Reconnecting(1, Duration.ofMillis(1500)));
    clientTime.advanceBy(Duration.ofMillis(1500));
    assertThat(poll(ticks).type()).isEqualTo("tick");
    assertThat(rec.opens).hasSize(2);
  }
}
