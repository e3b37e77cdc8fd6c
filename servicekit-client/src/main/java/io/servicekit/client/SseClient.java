package io.servicekit.client;

import io.servicekit.Scheduler;
import io.servicekit.internal.Check;
import io.servicekit.sse.SseParser;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;
import java.util.function.DoubleSupplier;
import javax.net.ssl.SSLContext;
import org.jspecify.annotations.Nullable;

/**
 * A Server-Sent Events client on the JDK's {@link HttpClient}, with the reconnect rules of a
 * browser's {@code EventSource} and bounds a browser does not have:
 *
 * <ul>
 *   <li>each connection is a {@code GET} with {@code Accept: text/event-stream}; after the first
 *       event id it carries {@code Last-Event-ID}, so a ServiceKit endpoint with {@code
 *       ResumableStreams} replays what was missed;
 *   <li>when a stream ends or breaks, the client reconnects after the server's last {@code retry:}
 *       hint (a floor; without one a full-jitter wait from the policy's initial delay), growing by
 *       the {@link ReconnectPolicy} while attempts keep failing, reset by every successful open
 *       (the client contract of docs/clients.md);
 *   <li>it stops for good on {@link #close()}, on HTTP 204 (the server's "do not reconnect"), on a
 *       response that is not {@code text/event-stream}, on HTTP statuses other than 408, 429 and
 *       5xx, and on a line or event over {@link Builder#maxLineBytes}/{@link Builder#maxEventBytes}
 *       ({@link SseParser.LimitException});
 *   <li>events go to the handler registered for their type ({@link Builder#on}), others to {@link
 *       Listener#onEvent}. Callbacks never overlap: they run on the client's reader thread (a
 *       virtual thread), so a slow listener slows reading (TCP backpressure).
 * </ul>
 *
 * <pre>{@code
 * SseClient sse =
 *     SseClient.builder(URI.create("http://localhost:8080/events"))
 *         .on("tick", e -> System.out.println(e.data()))
 *         .build();
 * sse.connect();
 * ...
 * sse.close();
 * }</pre>
 */
public final class SseClient implements AutoCloseable {
  /** Receives what happens to an {@link SseClient}; every method has an empty default. */
  public interface Listener {
    /** A stream was opened (200 {@code text/event-stream}); the first one or a reconnect. */
    default void onOpen() {}

    /** An event of a type with no handler of its own. */
    default void onEvent(SseParser.Event event) {}

    /**
     * A failure: {@link HttpStatusException} (an unacceptable answer), {@link
     * SseParser.LimitException}, or an I/O error of the stream (followed by a reconnect when
     * allowed).
     */
    default void onError(Throwable error) {}

    /** Attempt {@code attempt} (1-based since the last open) will be made after {@code delay}. */
    default void onReconnecting(int attempt, Duration delay) {}

    /** The client ended for good (once). */
    default void onClose() {}
  }

  private final URI uri;
  private final Map<String, String> headers;
  private final Map<String, Consumer<SseParser.Event>> handlers;
  private final Listener listener;
  private final ReconnectPolicy policy;
  private final Scheduler scheduler;
  private final HttpClient http;
  private final boolean ownsHttp;
  private final DoubleSupplier random;
  private final int maxLineBytes;
  private final int maxEventBytes;

  private final ReentrantLock lock = new ReentrantLock();
  private final ReentrantLock callbackLock = new ReentrantLock();
  private boolean started; // guarded by lock
  private boolean closed; // guarded by lock
  private boolean terminated; // guarded by lock
  private int attempt; // guarded by lock
  private @Nullable Thread reader; // guarded by lock
  private @Nullable InputStream body; // guarded by lock
  private Scheduler.@Nullable Cancellable pendingReconnect; // guarded by lock
  private volatile String lastEventId;
  private volatile long retryMillis = -1;
  private volatile long retryAfterMillis; // the last refused request's Retry-After, in ms
  private final CompletableFuture<Void> firstOpen = new CompletableFuture<>();
  private final CompletableFuture<Void> done = new CompletableFuture<>();

  private SseClient(Builder b) {
    this.uri = b.uri;
    this.headers = Map.copyOf(b.headers);
    this.handlers = Map.copyOf(b.handlers);
    this.listener = b.listener;
    this.policy = b.reconnect;
    this.scheduler = b.scheduler;
    this.ownsHttp = b.httpClient == null;
    this.http = b.httpClient != null ? b.httpClient : ownHttpClient(b.connectTimeout, b.sslContext);
    this.random = b.random;
    this.maxLineBytes = b.maxLineBytes;
    this.maxEventBytes = b.maxEventBytes;
    this.lastEventId = b.lastEventId;
  }

  /**
   * HTTP/2 where the JDK offers it: over {@code https} through ALPN (falling back to HTTP/1.1);
   * over plain {@code http} the JDK asks for an {@code h2c} upgrade, which servers without h2c
   * ignore.
   */
  static HttpClient ownHttpClient(Duration connectTimeout, @Nullable SSLContext ssl) {
    HttpClient.Builder hb =
        HttpClient.newBuilder().version(HttpClient.Version.HTTP_2).connectTimeout(connectTimeout);
    if (ssl != null) {
      hb.sslContext(ssl);
    }
    return hb.build();
  }

  /** A builder for a client of {@code uri} ({@code http:} or {@code https:}). */
  public static Builder builder(URI uri) {
    return new Builder(uri);
  }

  /**
   * Starts the client (once; later calls return the same future), which completes when the first
   * stream is open, or fails if the client ends before that.
   */
  public CompletableFuture<Void> connect() {
    lock.lock();
    try {
      if (started) {
        return firstOpen;
      }
      started = true;
    } finally {
      lock.unlock();
    }
    startAttempt();
    return firstOpen;
  }

  /** Completes once the client has ended for good. */
  public CompletableFuture<Void> closed() {
    return done;
  }

  /** The last event id received (or given to the builder); empty if none. */
  public String lastEventId() {
    return lastEventId;
  }

  /** The server's last {@code retry:} hint in milliseconds, or -1. */
  public long retryMillis() {
    return retryMillis;
  }

  /** Stops the client: the current stream is abandoned and no reconnect is made. Idempotent. */
  @Override
  public void close() {
    Thread t;
    InputStream in;
    boolean waiting;
    lock.lock();
    try {
      if (closed) {
        return;
      }
      closed = true;
      t = reader;
      in = body;
      waiting = pendingReconnect != null || !started;
      if (pendingReconnect != null) {
        pendingReconnect.cancel();
        pendingReconnect = null;
      }
    } finally {
      lock.unlock();
    }
    if (in != null) {
      try {
        in.close();
      } catch (IOException ignored) {
        // closing anyway
      }
    }
    if (t != null && t != Thread.currentThread()) {
      t.interrupt();
    }
    if (waiting || t == null) {
      terminate(null);
    }
  }

  private void startAttempt() {
    lock.lock();
    try {
      pendingReconnect = null;
      if (closed) {
        return;
      }
      scheduler.execute("sse-client " + uri, this::runAttempt);
    } finally {
      lock.unlock();
    }
  }

  /**
   * The attempt's thread: becomes the {@link #reader} that {@link #close} interrupts, unless the
   * client closed before it started (close then saw no reader and has terminated the client).
   */
  private void runAttempt() {
    lock.lock();
    try {
      if (closed) {
        return;
      }
      reader = Thread.currentThread();
    } finally {
      lock.unlock();
    }
    run();
  }

  /** One connection: request, read until the end, then decide what comes next. */
  private void run() {
    Throwable error = null;
    boolean retry;
    boolean opened = false;
    try {
      HttpRequest.Builder rb =
          HttpRequest.newBuilder(uri)
              .GET()
              .header("Accept", "text/event-stream")
              .header("Cache-Control", "no-cache");
      headers.forEach(rb::header);
      String last = lastEventId;
      if (last != null && !last.isEmpty()) {
        rb.header("Last-Event-ID", last);
      }
      HttpResponse<InputStream> response =
          http.send(rb.build(), HttpResponse.BodyHandlers.ofInputStream());
      InputStream in = response.body();
      int status = response.statusCode();
      if (status == 204) {
        in.close();
        finish(null, false);
        return;
      }
      if (status != 200) {
        String text = readSome(in);
        HttpStatusException e =
            new HttpStatusException(uri, status, text, "SSE request not accepted");
        boolean retryable = policy.isRetryableStatus(status);
        if (retryable) {
          retryAfterMillis =
              ReconnectPolicy.retryAfterMillis(
                  response.headers().firstValue("Retry-After").orElse(null),
                  System.currentTimeMillis());
        }
        finish(e, retryable);
        return;
      }
      String contentType = response.headers().firstValue("Content-Type").orElse("");
      if (!contentType.toLowerCase(java.util.Locale.ROOT).startsWith("text/event-stream")) {
        String text = readSome(in);
        finish(
            new HttpStatusException(
                uri,
                status,
                text,
                "expected Content-Type text/event-stream, got '" + contentType + "'"),
            false);
        return;
      }
      lock.lock();
      try {
        if (closed) {
          in.close();
          retry = false;
          opened = false;
        } else {
          body = in;
          attempt = 0;
          opened = true;
        }
      } finally {
        lock.unlock();
      }
      if (!opened) {
        finish(null, false);
        return;
      }
      callback(listener::onOpen);
      firstOpen.complete(null);
      SseParser parser =
          new SseParser(
              new SseParser.Listener() {
                @Override
                public void onEvent(SseParser.Event event) {
                  deliver(event);
                }

                @Override
                public void onRetry(long millis) {
                  retryMillis = millis;
                }
              },
              lastEventId,
              maxLineBytes,
              maxEventBytes);
      byte[] buf = new byte[8192];
      try (in) {
        int n;
        while ((n = in.read(buf)) >= 0) {
          parser.feed(buf, 0, n);
          lastEventId = parser.lastEventId(); // also ids of blocks without data
        }
      }
      parser.end();
      retry = true; // the server ended the stream: reconnect, as EventSource does
    } catch (SseParser.LimitException e) {
      error = e;
      retry = false;
    } catch (IOException e) {
      error = e;
      retry = true;
    } catch (InterruptedException e) {
      retry = false;
    } catch (RuntimeException e) {
      error = e;
      retry = false;
    }
    finish(error, retry);
  }

  private void deliver(SseParser.Event event) {
    lastEventId = event.lastEventId();
    Consumer<SseParser.Event> handler = handlers.get(event.type());
    callback(
        () ->
            (handler != null ? handler : (Consumer<SseParser.Event>) listener::onEvent)
                .accept(event));
  }

  private void finish(@Nullable Throwable error, boolean retry) {
    Duration delay = null; // stays null unless a reconnect is due
    int next = 0;
    lock.lock();
    try {
      body = null;
      reader = null;
      if (closed) {
        error = null; // the close is the cause
        retry = false;
      }
      if (retry && policy.allows(attempt + 1)) {
        next = ++attempt;
        // docs/clients.md: the server's retry: is the base and a floor, a Retry-After a floor
        long hint = retryMillis;
        delay =
            policy.delay(
                next,
                random.getAsDouble(),
                hint >= 0 ? Duration.ofMillis(Math.max(1, hint)) : policy.initialDelay(),
                Duration.ofMillis(Math.max(hint, retryAfterMillis)));
        retryAfterMillis = 0;
      }
    } finally {
      lock.unlock();
    }
    if (error != null) {
      Throwable e = error;
      callback(() -> listener.onError(e));
    }
    if (delay == null) {
      terminate(error);
      return;
    }
    int n = next;
    Duration d = delay;
    // The attempt is on the clock before onReconnecting is announced (so a test that reacts by
    // advancing a fake clock finds it), and the next stream's callbacks wait for the announcement.
    callbackLock.lock();
    try {
      lock.lock();
      try {
        if (closed) {
          d = null;
        } else {
          pendingReconnect = scheduler.schedule(this::startAttempt, d);
        }
      } finally {
        lock.unlock();
      }
      if (d != null) {
        Duration announced = d;
        callback(() -> listener.onReconnecting(n, announced));
        return;
      }
    } finally {
      callbackLock.unlock();
    }
    terminate(null);
  }

  private void terminate(@Nullable Throwable error) {
    lock.lock();
    try {
      if (terminated) {
        return;
      }
      terminated = true;
      closed = true;
    } finally {
      lock.unlock();
    }
    if (ownsHttp) {
      http.shutdown();
    }
    callback(listener::onClose);
    if (!firstOpen.isDone()) {
      firstOpen.completeExceptionally(
          error != null
              ? error
              : new IllegalStateException("SseClient for " + uri + " closed before it opened"));
    }
    done.complete(null);
  }

  private void callback(Runnable r) {
    callbackLock.lock();
    try {
      r.run();
    } catch (RuntimeException e) {
      org.slf4j.LoggerFactory.getLogger(SseClient.class).warn("SSE listener callback threw", e);
    } finally {
      callbackLock.unlock();
    }
  }

  static String readSome(InputStream in) throws IOException {
    try (in) {
      return new String(in.readNBytes(4096), StandardCharsets.UTF_8);
    }
  }

  /** Configures an {@link SseClient}; everything but the URI has a default. */
  public static final class Builder {
    private final URI uri;
    private final Map<String, String> headers = new LinkedHashMap<>();
    private final Map<String, Consumer<SseParser.Event>> handlers = new LinkedHashMap<>();
    private Listener listener = new Listener() {};
    private ReconnectPolicy reconnect =
        ReconnectPolicy.builder().initialDelay(Duration.ofSeconds(3)).build();
    private Scheduler scheduler = Scheduler.system();
    private @Nullable HttpClient httpClient;
    private @Nullable SSLContext sslContext;
    private DoubleSupplier random = () -> ThreadLocalRandom.current().nextDouble();
    private Duration connectTimeout = Duration.ofSeconds(10);
    private int maxLineBytes = 1 << 20;
    private int maxEventBytes = 16 << 20;
    private String lastEventId = "";

    private Builder(URI uri) {
      this.uri = Objects.requireNonNull(uri, "uri");
      String scheme = uri.getScheme();
      if (!"http".equalsIgnoreCase(scheme) && !"https".equalsIgnoreCase(scheme)) {
        throw new IllegalArgumentException("SSE URI must use http: or https:, got " + uri);
      }
    }

    /** Adds a request header, sent on every connection. */
    public Builder header(String name, String value) {
      headers.put(Objects.requireNonNull(name, "name"), Objects.requireNonNull(value, "value"));
      return this;
    }

    /** Handles events of type {@code type} (instead of {@link Listener#onEvent}). */
    public Builder on(String type, Consumer<SseParser.Event> handler) {
      if (type == null || type.isEmpty()) {
        throw new IllegalArgumentException("event type must not be empty");
      }
      handlers.put(type, Objects.requireNonNull(handler, "handler"));
      return this;
    }

    public Builder listener(Listener v) {
      listener = Objects.requireNonNull(v, "listener");
      return this;
    }

    /**
     * Reconnect behaviour (default: 3 s — a browser's usual default — doubling up to 30 s, full
     * jitter, unlimited attempts). A server {@code retry:} hint replaces the initial delay and is a
     * floor of every wait; a {@code Retry-After} on a refused request is a floor of the next one.
     */
    public Builder reconnect(ReconnectPolicy v) {
      reconnect = Objects.requireNonNull(v, "reconnect");
      return this;
    }

    /** Clock for reconnect delays (default {@link Scheduler#system()}). */
    public Builder scheduler(Scheduler v) {
      scheduler = Objects.requireNonNull(v, "scheduler");
      return this;
    }

    /**
     * The HTTP client to use (default: a new one with {@link #connectTimeout}, shut down when the
     * client ends; one given here is left open).
     */
    public Builder httpClient(HttpClient v) {
      httpClient = Objects.requireNonNull(v, "httpClient");
      return this;
    }

    /**
     * Whom to trust on {@code https:} (e.g. a private CA): the HTTP client this client makes uses
     * it. Default: the JDK's trust store. Not combinable with {@link #httpClient} (configure that
     * client instead).
     */
    public Builder sslContext(SSLContext v) {
      sslContext = Objects.requireNonNull(v, "sslContext");
      return this;
    }

    /** Source of jitter, numbers in {@code [0, 1)}. */
    public Builder random(DoubleSupplier v) {
      random = Objects.requireNonNull(v, "random");
      return this;
    }

    /** TCP connect timeout of the default HTTP client (default 10 s). */
    public Builder connectTimeout(Duration v) {
      connectTimeout = Check.positive("connectTimeout", v);
      return this;
    }

    /** Longest line accepted (default 1 MiB). */
    public Builder maxLineBytes(int v) {
      maxLineBytes = Check.positive("maxLineBytes", v);
      return this;
    }

    /** Largest event data accepted (default 16 MiB). */
    public Builder maxEventBytes(int v) {
      maxEventBytes = Check.positive("maxEventBytes", v);
      return this;
    }

    /** The id to resume from on the first connection (default none). */
    public Builder lastEventId(String v) {
      Objects.requireNonNull(v, "lastEventId");
      if (v.indexOf('\0') >= 0 || v.indexOf('\n') >= 0 || v.indexOf('\r') >= 0) {
        throw new IllegalArgumentException("lastEventId must not contain NUL, CR or LF");
      }
      lastEventId = v;
      return this;
    }

    public SseClient build() {
      if (httpClient != null && sslContext != null) {
        throw new IllegalStateException(
            "sslContext applies to the HttpClient this client makes; with httpClient(...) set the"
                + " SSLContext on that HttpClient instead");
      }
      return new SseClient(this);
    }
  }
}
