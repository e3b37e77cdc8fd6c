package io.servicekit.demo.sse;

import io.servicekit.JsonCodec;
import io.servicekit.Scheduler;
import io.servicekit.broker.BrokerUnavailableException;
import io.servicekit.demo.DemoCluster;
import io.servicekit.jetty.Responses;
import io.servicekit.jetty.ServiceKitServer;
import io.servicekit.jetty.SseServe;
import io.servicekit.sse.ResumableStreams;
import io.servicekit.sse.SseConfig;
import io.servicekit.sse.SseHub;
import io.servicekit.sse.SseListener;
import io.servicekit.sse.SseSession;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpMethod;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;

/**
 * The SSE demo: one shared, resumable feed of {@code tick} events with epoch ids ({@code
 * "<epoch>-<n>"}, see {@link io.servicekit.sse.EpochIdGen}) at {@code /events}, and a page at
 * {@code /events.html} that shows them with the JavaScript client's {@code SseClient}.
 *
 * <ul>
 *   <li>{@code GET /events} — the feed. A client that sends {@code Last-Event-ID: X} first gets
 *       exactly the ticks after X (from the last 1000), then live ones; an id the server no longer
 *       has (evicted, or issued before a restart: ids carry an epoch) gets one {@code resync}
 *       event. {@code ?closeAfter=N} makes the server end that stream after N live ticks, to watch
 *       a client reconnect and resume.
 *   <li>{@code POST /events/drop} — ends every open stream; browsers reconnect after the {@code
 *       retry} hint (2 s) and resume where they were.
 *   <li>{@code GET /events.html} — the page.
 * </ul>
 *
 * <pre>{@code
 * ServiceKitServer server = EventsDemo.install(ServiceKitServer.builder().port(8080)).build();
 * }</pre>
 *
 * <p>The ticker runs on the given {@link Scheduler} while the server runs.
 */
public final class EventsDemo {
  private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(EventsDemo.class);

  /** The stream every client of {@code /events} shares. */
  public static final String STREAM = "events";

  /** The Redis counter (under the cluster's key prefix) that numbers the ticks of a cluster. */
  static final String SEQ_COUNTER = "tick-seq";

  private final Duration period;
  private final Scheduler scheduler;
  private final ResumableStreams streams;
  private final SseHub<Object> hub = new SseHub<>();
  private final Set<FeedListener> countingDown = ConcurrentHashMap.newKeySet();
  private final SseConfig config;
  private final AtomicLong seq = new AtomicLong();
  private final DemoCluster cluster; // null on one process

  /**
   * A demo ticking every {@code period}, telling clients to wait {@code retry} before reconnecting.
   */
  public EventsDemo(Duration period, Duration retry, Scheduler scheduler) {
    this(period, retry, scheduler, null);
  }

  /**
   * Like {@link #EventsDemo(Duration, Duration, Scheduler)}, sharing the feed with every process of
   * {@code cluster} (null: this process only): events are stored in Redis, go live to every
   * process's clients, and one process per second publishes the tick, numbered by a counter in
   * Redis (its id carries the publishing process's epoch).
   */
  public EventsDemo(Duration period, Duration retry, Scheduler scheduler, DemoCluster cluster) {
    this.period = Objects.requireNonNull(period, "period");
    this.scheduler = Objects.requireNonNull(scheduler, "scheduler");
    this.cluster = cluster;
    if (cluster != null) {
      this.streams =
          ResumableStreams.builder()
              .streamId(request -> STREAM)
              .store(cluster.store())
              // Ids "<epoch>-<n>" with this process's epoch: unique across processes with no round
              // trip, never repeated after a restart or a Redis flush. The page counts missed ticks
              // by the tick's seq, which comes from Redis (see tick()).
              .idGen(cluster.store().idGen())
              .broker(cluster.broker(), "servicekit.demo.events")
              .build();
      this.config =
          SseConfig.builder()
              .retry(retry)
              .keepalivePeriod(Duration.ofSeconds(15))
              .resumable(streams)
              .scheduler(scheduler)
              .build();
      return;
    }
    // [START resumable-config]
    this.streams =
        ResumableStreams.builder()
            .streamId(request -> STREAM) // every client shares one stream
            .build(); // memory store, 1000 events; ids "<epoch>-1", "<epoch>-2", ...
    this.config =
        SseConfig.builder()
            .retry(retry) // browsers reconnect after this
            .keepalivePeriod(Duration.ofSeconds(15))
            .resumable(streams)
            .scheduler(scheduler)
            .build();
    // [END resumable-config]
  }

  /** Adds the demo's routes (one tick a second, retry 2 s) to {@code builder}. */
  public static ServiceKitServer.Builder install(ServiceKitServer.Builder builder) {
    return install(builder, null);
  }

  /** Like {@link #install(ServiceKitServer.Builder)}, sharing the feed through {@code cluster}. */
  public static ServiceKitServer.Builder install(
      ServiceKitServer.Builder builder, DemoCluster cluster) {
    return new EventsDemo(Duration.ofSeconds(1), Duration.ofSeconds(2), Scheduler.system(), cluster)
        .routes(builder);
  }

  /** Adds this demo's routes to {@code builder}. */
  public ServiceKitServer.Builder routes(ServiceKitServer.Builder builder) {
    return builder
        .route(
            "/events", new Ticker(SseServe.handler(request -> new FeedListener(request), config)))
        .route("/events/drop", new DropHandler())
        .route("/events.html", new PageHandler("static/events.html"));
  }

  /**
   * Ends every open stream with a final {@code shutdown} event (graceful shutdown calls this while
   * connections are still open); browsers reconnect to another instance and resume.
   */
  public void closeAll() {
    hub.closeAll("shutdown", Map.of("reason", "server shutting down"));
  }

  /** The resumable streams of the feed (for tests and for publishing by hand). */
  public ResumableStreams streams() {
    return streams;
  }

  /** Number of open feed connections. */
  public int connections() {
    return hub.count();
  }

  /**
   * The payload of one tick. {@code seq} counts the ticks from 1 (this process's, or with a cluster
   * every process's, from a counter in Redis), so a client sees a missed tick as a jump in {@code
   * seq}; the event's id is opaque ({@code "<epoch>-<n>"}) and only good for {@code Last-Event-ID}.
   */
  public record Tick(long seq, String time) {}

  private void tick() {
    if (cluster == null) {
      publishTick(seq.incrementAndGet());
    } else {
      // With several processes one ticks per second, and the tick's seq comes from a counter in
      // Redis, so it counts every process's ticks. Asynchronous: this runs on the shared scheduler
      // thread, which must never wait on Redis.
      cluster
          .claimTick()
          .thenCompose(
              won ->
                  won
                      ? cluster.store().next(SEQ_COUNTER)
                      : java.util.concurrent.CompletableFuture.completedStage((Long) null))
          .whenComplete(
              (n, e) -> {
                if (e == null && n != null) {
                  publishTick(n);
                } else if (e != null) {
                  LOG.debug("tick not published: {}", e.toString());
                }
              });
    }
    for (FeedListener feed : countingDown) {
      feed.countDown();
    }
  }

  private void publishTick(long n) {
    try {
      // [START publish]
      streams.publish(STREAM, JsonCodec.INSTANCE, "tick", new Tick(n, Instant.now().toString()));
      // [END publish]
    } catch (BrokerUnavailableException e) {
      LOG.debug("tick not published: {}", e.getMessage()); // the next second tries again
    }
  }

  /** One client of the feed; ends its stream after {@code closeAfter} ticks if asked to. */
  private final class FeedListener implements SseListener<Object> {
    private final AtomicInteger remaining;
    private volatile SseSession<Object> session;

    FeedListener(io.servicekit.Request request) {
      int closeAfter = 0;
      String value = request.queryParam("closeAfter").orElse(null);
      if (value != null) {
        try {
          closeAfter = Integer.parseInt(value);
        } catch (NumberFormatException e) {
          throw io.servicekit.Rejection.of(
              400, "closeAfter must be a positive integer, was " + value);
        }
        if (closeAfter <= 0) {
          throw io.servicekit.Rejection.of(
              400, "closeAfter must be a positive integer, was " + value);
        }
      }
      this.remaining = new AtomicInteger(closeAfter);
    }

    @Override
    public JsonCodec codec() {
      return JsonCodec.INSTANCE;
    }

    @Override
    public String name() {
      return "EventsFeed";
    }

    @Override
    public void onOpen(SseSession<Object> session) {
      this.session = session;
      hub.register(session);
      if (remaining.get() > 0) {
        countingDown.add(this);
        session.whenClosed(end -> countingDown.remove(this));
      }
    }

    void countDown() {
      if (remaining.get() > 0 && remaining.decrementAndGet() == 0) {
        session.close();
      }
    }
  }

  /** Runs the ticker while the server runs. */
  private final class Ticker extends Handler.Wrapper {
    private volatile Scheduler.Cancellable next;
    private volatile boolean running;

    Ticker(Handler feed) {
      super(feed);
    }

    @Override
    protected void doStart() throws Exception {
      super.doStart();
      running = true;
      next = scheduler.schedule(this::run, period);
    }

    @Override
    protected void doStop() throws Exception {
      running = false;
      Scheduler.Cancellable n = next;
      if (n != null) {
        n.cancel();
      }
      hub.closeAll();
      super.doStop();
    }

    private void run() {
      if (!running) {
        return;
      }
      try {
        tick();
      } finally {
        if (running) {
          next = scheduler.schedule(this::run, period);
        }
      }
    }
  }

  /** {@code POST /events/drop}: ends every open stream (clients reconnect and resume). */
  private final class DropHandler extends Handler.Abstract.NonBlocking {
    @Override
    public boolean handle(Request request, Response response, Callback callback) {
      if (!HttpMethod.POST.is(request.getMethod())) {
        Responses.text(
            response,
            callback,
            405,
            "method must be POST, was " + request.getMethod(),
            Map.of("Allow", "POST"));
        return true;
      }
      int n = hub.count();
      hub.closeAll();
      Responses.json(response, callback, 200, "{\"dropped\":" + n + "}");
      return true;
    }
  }

  /** Serves one classpath resource as HTML. */
  private static final class PageHandler extends Handler.Abstract.NonBlocking {
    private final byte[] page;

    PageHandler(String resource) {
      try (InputStream in = EventsDemo.class.getClassLoader().getResourceAsStream(resource)) {
        if (in == null) {
          throw new IllegalStateException("missing resource " + resource);
        }
        page = in.readAllBytes();
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }

    @Override
    public boolean handle(Request request, Response response, Callback callback) {
      if (!HttpMethod.GET.is(request.getMethod()) && !HttpMethod.HEAD.is(request.getMethod())) {
        Responses.text(response, callback, 405, "method must be GET", Map.of("Allow", "GET, HEAD"));
        return true;
      }
      response.getHeaders().put(HttpHeader.CONTENT_TYPE, "text/html; charset=utf-8");
      response.write(true, ByteBuffer.wrap(page), callback);
      return true;
    }
  }
}
