package io.servicekit.testkit;

import io.servicekit.Scheduler;
import io.servicekit.internal.Check;
import io.servicekit.sse.SseParser;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpHeaders;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Flow;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.jspecify.annotations.Nullable;

/**
 * A Server-Sent Events client for tests that behaves like a browser's {@code EventSource}: it
 * parses with {@link SseParser}, reconnects when a stream ends or drops — after the last {@code
 * retry:} the server sent, else the initial delay — and sends {@code Last-Event-ID} with the last
 * id seen. A response other than 200 with {@code text/event-stream} (e.g. 204) ends it for good, as
 * in browsers.
 *
 * <pre>{@code
 * try (TestSseClient client = TestSseClient.connect(server.uri().resolve("/events"))) {
 *   SseParser.Event e = client.awaitEvent();
 *   assertThat(e.data()).isEqualTo("{\"n\":1}");
 * }
 * }</pre>
 *
 * <p>Everything received is recorded in order; the {@code await*} methods wait with a timeout
 * instead of sleeping. Reconnect delays run on the {@link Scheduler} given to the builder, so a
 * test can drive them with a {@link FakeScheduler}. Uses HTTP/1.1 on the JDK's {@link HttpClient}
 * with backpressure: bytes are requested only as they are parsed.
 */
public final class TestSseClient implements AutoCloseable {
  /** Default wait of the {@code await*} methods. */
  public static final Duration TIMEOUT = Duration.ofSeconds(10);

  private static final HttpClient HTTP =
      HttpClient.newBuilder()
          .version(HttpClient.Version.HTTP_1_1)
          .connectTimeout(Duration.ofSeconds(10))
          .build();

  /** Like {@code EventSource.readyState}. */
  public enum State {
    CONNECTING,
    OPEN,
    CLOSED
  }

  /**
   * One connection attempt as the server answered it.
   *
   * @param status the HTTP status (0 if the connection failed before a response)
   * @param headers the response headers (empty if none)
   * @param lastEventIdSent the {@code Last-Event-ID} sent, or null
   */
  public record Attempt(int status, HttpHeaders headers, @Nullable String lastEventIdSent) {
    /** The first value of response header {@code name}, or null. */
    public @Nullable String header(String name) {
      return headers.firstValue(name).orElse(null);
    }
  }

  /**
   * Builds a client: {@code TestSseClient.builder(uri).lastEventId("7").reconnect(false)
   * .connect()}. Each setter refuses a bad value at once, naming the setting and the value.
   */
  public static final class Builder {
    private final URI uri;
    private final Map<String, String> headers = new LinkedHashMap<>();
    private @Nullable String lastEventId;
    private boolean reconnect = true;
    private Duration initialRetry = Duration.ofSeconds(3);
    private Scheduler scheduler = Scheduler.system();

    private Builder(URI uri) {
      this.uri = Objects.requireNonNull(uri, "uri");
    }

    /** Adds a request header to every attempt. */
    public Builder header(String name, String value) {
      headers.put(
          Check.notBlank("header name", name), Objects.requireNonNull(value, "header value"));
      return this;
    }

    /** A {@code Last-Event-ID} for the first attempt (browsers cannot do this; tests can). */
    public Builder lastEventId(String id) {
      lastEventId = Objects.requireNonNull(id, "lastEventId");
      return this;
    }

    /** Whether to reconnect when a stream ends or drops (default true). */
    public Builder reconnect(boolean on) {
      reconnect = on;
      return this;
    }

    /** The reconnection delay until the server sends {@code retry:} (default 3 s); positive. */
    public Builder initialRetry(Duration retry) {
      initialRetry = Check.atLeastOneMilli("initialRetry", retry);
      return this;
    }

    /** Where reconnection delays are scheduled (default the system scheduler). */
    public Builder scheduler(Scheduler s) {
      scheduler = Objects.requireNonNull(s, "scheduler");
      return this;
    }

    /** Starts connecting; returns at once (use {@link TestSseClient#awaitOpen()}). */
    public TestSseClient connect() {
      TestSseClient client =
          new TestSseClient(
              uri,
              new Settings(
                  java.util.Collections.unmodifiableMap(new LinkedHashMap<>(headers)),
                  lastEventId,
                  reconnect,
                  initialRetry,
                  scheduler));
      client.attempt();
      return client;
    }
  }

  private record Settings(
      Map<String, String> headers,
      @Nullable String lastEventId,
      boolean reconnect,
      Duration initialRetry,
      Scheduler scheduler) {}

  private final URI uri;
  private final Settings options;
  private final BlockingQueue<SseParser.Event> events = new LinkedBlockingQueue<>();
  private final BlockingQueue<String> comments = new LinkedBlockingQueue<>();
  private final List<Attempt> attempts = new CopyOnWriteArrayList<>();
  private final BlockingQueue<Attempt> opened = new LinkedBlockingQueue<>();
  private final AtomicInteger received = new AtomicInteger();
  private final CompletableFuture<String> closed = new CompletableFuture<>();
  private final SseParser parser; // guarded by itself; fed by one connection at a time
  private volatile State state = State.CONNECTING;
  private volatile long retryMillis;
  private volatile @Nullable Connection current;

  private TestSseClient(URI uri, Settings options) {
    this.uri = uri;
    this.options = options;
    this.retryMillis = options.initialRetry().toMillis();
    this.parser =
        new SseParser(
            new SseParser.Listener() {
              @Override
              public void onEvent(SseParser.Event event) {
                received.incrementAndGet();
                events.add(event);
              }

              @Override
              public void onComment(String comment) {
                comments.add(comment);
              }

              @Override
              public void onRetry(long millis) {
                retryMillis = millis;
              }
            },
            options.lastEventId(),
            SseParser.DEFAULT_MAX_LINE_BYTES,
            SseParser.DEFAULT_MAX_EVENT_BYTES);
  }

  /** A builder for a client of {@code uri}. */
  public static Builder builder(URI uri) {
    return new Builder(uri);
  }

  /** Starts connecting to {@code uri}; returns at once (use {@link #awaitOpen()}). */
  public static TestSseClient connect(URI uri) {
    return builder(uri).connect();
  }

  // ------------------------------------------------------------------ observations

  public State state() {
    return state;
  }

  /** The last event id seen (what the next reconnect sends), empty if none. */
  public String lastEventId() {
    synchronized (parser) {
      return parser.lastEventId();
    }
  }

  /** The reconnection delay in ms now in force. */
  public long retryMillis() {
    return retryMillis;
  }

  /** Every connection attempt answered so far, in order. */
  public List<Attempt> attempts() {
    return List.copyOf(attempts);
  }

  /** Events received so far, including those already awaited. */
  public int receivedCount() {
    return received.get();
  }

  /** Waits for the next attempt that opened a stream (200, {@code text/event-stream}). */
  public Attempt awaitOpen() {
    return awaitOpen(TIMEOUT);
  }

  public Attempt awaitOpen(Duration timeout) {
    return poll(opened, timeout, "no stream opened");
  }

  /** Waits for the next event. */
  public SseParser.Event awaitEvent() {
    return awaitEvent(TIMEOUT);
  }

  public SseParser.Event awaitEvent(Duration timeout) {
    return poll(events, timeout, "no event");
  }

  /** Waits for the next {@code n} events. */
  public List<SseParser.Event> awaitEvents(int n) {
    return awaitEvents(n, TIMEOUT);
  }

  /** Waits up to {@code timeout} in all for the next {@code n} events. */
  public List<SseParser.Event> awaitEvents(int n, Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    List<SseParser.Event> out = new ArrayList<>(n);
    while (out.size() < n) {
      long left = Math.max(1, deadline - System.nanoTime());
      out.add(poll(events, Duration.ofNanos(left), "only " + out.size() + " of " + n + " events"));
    }
    return out;
  }

  /** Waits for the next comment (e.g. {@code keepalive}). */
  public String awaitComment() {
    return awaitComment(TIMEOUT);
  }

  public String awaitComment(Duration timeout) {
    return poll(comments, timeout, "no comment");
  }

  /** Events received and not yet awaited. */
  public List<SseParser.Event> drain() {
    List<SseParser.Event> out = new ArrayList<>();
    events.drainTo(out);
    return out;
  }

  /** Waits until the client has stopped for good and returns why. */
  public String awaitClosed() {
    return awaitClosed(TIMEOUT);
  }

  public String awaitClosed(Duration timeout) {
    try {
      return closed.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (Exception e) {
      throw new AssertionError("client not closed within " + timeout + ": " + state, e);
    }
  }

  // ------------------------------------------------------------------ actions

  /**
   * Drops the current connection from the client side, as a network failure would; the client
   * reconnects after the retry delay (if reconnecting is on).
   */
  public void disconnect() {
    Connection c = current;
    if (c != null) {
      c.cancel();
      c.ended("disconnected by the test");
    }
  }

  /** Stops for good, like {@code EventSource.close()}. */
  @Override
  public void close() {
    stop("closed by the client");
  }

  private void stop(String why) {
    state = State.CLOSED;
    Connection c = current;
    if (c != null) {
      c.cancel();
    }
    closed.complete(why);
  }

  private void attempt() {
    if (state == State.CLOSED) {
      return;
    }
    state = State.CONNECTING;
    String last = lastEventId();
    String sentId = last.isEmpty() ? null : last;
    HttpRequest.Builder request =
        HttpRequest.newBuilder(uri)
            .GET()
            .header("Accept", "text/event-stream")
            .header("Cache-Control", "no-cache");
    options.headers().forEach(request::header);
    if (sentId != null) {
      request.header("Last-Event-ID", sentId);
    }
    Connection connection = new Connection();
    current = connection;
    HTTP.sendAsync(request.build(), HttpResponse.BodyHandlers.ofPublisher())
        .whenComplete(
            (response, error) -> {
              if (error != null) {
                attempts.add(new Attempt(0, HttpHeaders.of(Map.of(), (a, b) -> true), sentId));
                connection.ended("connection failed: " + error);
                return;
              }
              Attempt a = new Attempt(response.statusCode(), response.headers(), sentId);
              attempts.add(a);
              String type = response.headers().firstValue("Content-Type").orElse("");
              boolean isStream =
                  response.statusCode() == 200
                      && type.toLowerCase(Locale.ROOT).startsWith("text/event-stream");
              if (!isStream) {
                response.body().subscribe(new Discard());
                stop("server answered " + response.statusCode() + " " + type);
                return;
              }
              if (state == State.CLOSED || connection.isEnded()) {
                response.body().subscribe(new Discard());
                return;
              }
              state = State.OPEN;
              opened.add(a);
              response.body().subscribe(connection);
            });
  }

  private void scheduleReconnect() {
    if (state == State.CLOSED) {
      return;
    }
    if (!options.reconnect()) {
      stop("stream ended and reconnecting is off");
      return;
    }
    state = State.CONNECTING;
    options.scheduler().schedule(this::attempt, Duration.ofMillis(retryMillis));
  }

  private static <T> T poll(BlockingQueue<T> queue, Duration timeout, String what) {
    try {
      T t = queue.poll(timeout.toMillis(), TimeUnit.MILLISECONDS);
      if (t == null) {
        throw new AssertionError(what + " within " + timeout);
      }
      return t;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError("interrupted", e);
    }
  }

  /** One response body: parses it and reconnects once when it ends. */
  private final class Connection implements Flow.Subscriber<List<ByteBuffer>> {
    private final AtomicBoolean ended = new AtomicBoolean();
    private volatile Flow.@Nullable Subscription subscription;
    private volatile boolean cancelled;

    boolean isEnded() {
      return ended.get();
    }

    void cancel() {
      cancelled = true;
      Flow.Subscription s = subscription;
      if (s != null) {
        s.cancel();
      }
    }

    @SuppressWarnings("UnusedVariable") // the reason documents the call sites
    void ended(String why) {
      if (ended.compareAndSet(false, true)) {
        synchronized (parser) {
          parser.end();
        }
        if (current == this) {
          scheduleReconnect();
        }
      }
    }

    @Override
    public void onSubscribe(Flow.Subscription s) {
      subscription = s;
      if (cancelled) {
        s.cancel();
      } else {
        s.request(1);
      }
    }

    @Override
    public void onNext(List<ByteBuffer> buffers) {
      synchronized (parser) {
        if (ended.get()) {
          return; // a late chunk of a dropped connection
        }
        try {
          for (ByteBuffer b : buffers) {
            byte[] bytes = new byte[b.remaining()];
            b.get(bytes);
            parser.feed(bytes);
          }
        } catch (RuntimeException e) {
          cancel();
          ended("unparseable stream: " + e.getMessage());
          return;
        }
      }
      // Flow guarantees onSubscribe before onNext
      Objects.requireNonNull(subscription, "onNext before onSubscribe").request(1);
    }

    @Override
    public void onError(Throwable error) {
      ended("stream failed: " + error);
    }

    @Override
    public void onComplete() {
      ended("stream ended");
    }
  }

  /** Drains a body that is not an event stream. */
  private static final class Discard implements Flow.Subscriber<List<ByteBuffer>> {
    @Override
    public void onSubscribe(Flow.Subscription s) {
      s.request(Long.MAX_VALUE);
    }

    @Override
    public void onNext(List<ByteBuffer> item) {}

    @Override
    public void onError(Throwable throwable) {}

    @Override
    public void onComplete() {}
  }
}
