package io.servicekit.client;

import io.servicekit.CloseStatus;
import io.servicekit.Codec;
import io.servicekit.DecodeException;
import io.servicekit.Message;
import io.servicekit.Scheduler;
import io.servicekit.internal.Check;
import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.net.http.WebSocketHandshakeException;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.DoubleSupplier;
import javax.net.ssl.SSLContext;
import org.jspecify.annotations.Nullable;

/**
 * A typed WebSocket client for ServiceKit endpoints (and any RFC 6455 server), on the JDK's {@link
 * java.net.http.WebSocket}:
 *
 * <ul>
 *   <li>messages are encoded and decoded by a {@link Codec}, text and binary, fragments reassembled
 *       (up to {@link Builder#maxMessageBytes});
 *   <li>server heartbeats {@code {"type":"ping","pingId":n,...}} are answered at once with {@code
 *       {"type":"pong","pingId":n}} and reported to {@link Listener#onPing}, never to {@code
 *       onMessage}; error envelopes {@code {"type":"error","error":"..."}} are reported to {@link
 *       Listener#onError} as a {@link ServerErrorException};
 *   <li>a lost connection is re-established by the {@link ReconnectPolicy} (exponential backoff
 *       with jitter, capped, reset by every successful open); {@link #close()} and non-retryable
 *       close codes (1000, 1008, ... — see {@link ReconnectPolicy}) end the client for good;
 *   <li>{@link #send} is thread-safe and never blocks: messages go through one bounded queue
 *       ({@link Builder#maxQueuedMessages}) that is written in order while connected and kept while
 *       (re)connecting; when it is full {@code send} throws {@link SendQueueFullException};
 *   <li>listener callbacks run one at a time, in order, on a virtual thread of the client; up to
 *       {@value #READ_AHEAD} received messages wait for the listener, and no more is read from the
 *       socket until it catches up, so a slow listener slows the server down (TCP backpressure)
 *       instead of filling memory. (The read-ahead also keeps the JDK client reading: its WebSocket
 *       loses the end of a connection that arrives while nothing is requested, and reports no close
 *       at all; see docs/clients.md.)
 * </ul>
 *
 * <pre>{@code
 * WsClient<Reply, Request> client =
 *     WsClient.builder(URI.create("ws://localhost:8080/chat"), TypedJsonCodec.<Reply, Request>of(Reply.class))
 *         .listener(new WsClient.Listener<>() {
 *           @Override public void onMessage(Reply reply) { ... }
 *         })
 *         .build();
 * client.connect().join();
 * client.send(new Request("hello"));
 * client.close();
 * }</pre>
 *
 * @param <I> the type of received messages
 * @param <O> the type of sent messages
 */
public final class WsClient<I, O> implements AutoCloseable {
  /**
   * The close code the client sends when its own ping went unanswered ({@link
   * Builder#pongTimeout}).
   */
  public static final int PONG_TIMEOUT = 4000;

  /**
   * Receives what happens to a {@link WsClient}. Every method has an empty default; calls never
   * overlap and come in order. An exception thrown by a callback is logged and otherwise ignored.
   *
   * @param <I> the type of received messages
   */
  public interface Listener<I> {
    /** A connection was opened (the first one, or a reconnect). */
    default void onOpen() {}

    /** A data message arrived and was decoded. */
    default void onMessage(I message) {}

    /** The server sent a heartbeat; it has already been answered if auto-pong is on. */
    default void onPing(long pingId) {}

    /**
     * The server answered the client's own heartbeat {@code pingId} ({@link Builder#pingInterval}).
     */
    default void onPong(long pingId) {}

    /**
     * Something went wrong: a {@link ServerErrorException} (the server's error envelope; the
     * connection stays open), a {@link DecodeException} (a message the codec refused; skipped), an
     * {@link HttpStatusException} (the handshake was refused), or an I/O error of the transport.
     */
    default void onError(Throwable error) {}

    /** An open connection ended with {@code status} (1006 if it was lost without a close frame). */
    default void onClose(CloseStatus status) {}

    /** Attempt {@code attempt} (1-based, since the last open) will be made after {@code delay}. */
    default void onReconnecting(int attempt, Duration delay) {}
  }

  /** Lifecycle of the client as a whole. */
  public enum State {
    /** Built, {@link #connect()} not called yet. */
    NEW,
    /** A handshake is in progress. */
    CONNECTING,
    /** Connected. */
    OPEN,
    /** Waiting for the backoff delay before the next attempt. */
    WAITING,
    /** Ended for good ({@link #close()}, a non-retryable close or failure, attempts exhausted). */
    CLOSED
  }

  private final URI uri;
  private final Codec<I, O> codec;
  private final Map<String, String> headers;
  private final List<String> subprotocols;
  private final Duration connectTimeout;
  private final Duration closeTimeout;
  private final ReconnectPolicy policy;
  private final int maxQueuedMessages;
  private final int maxMessageBytes;
  private final boolean autoPong;
  private final Duration pingInterval;
  private final Duration pongTimeout;
  private final Listener<I> listener;
  private final Scheduler scheduler;
  private final HttpClient http;
  private final boolean ownsHttp;
  private final DoubleSupplier random;

  /** Received messages that may wait for the listener before reading stops. */
  public static final int READ_AHEAD = 8;

  private final Executor callbacks;

  private final ReentrantLock lock = new ReentrantLock();
  private final ArrayDeque<Pending> queue = new ArrayDeque<>(); // guarded by lock
  private State state = State.NEW; // guarded by lock
  private @Nullable Connection current; // guarded by lock
  private int attempt; // failed attempts since the last open; guarded by lock
  private Scheduler.@Nullable Cancellable pendingReconnect; // guarded by lock
  private boolean closeRequested; // guarded by lock
  private final CompletableFuture<Void> firstOpen = new CompletableFuture<>();
  private final CompletableFuture<CloseStatus> terminated = new CompletableFuture<>();

  /** One queued outgoing message; {@code frame == null} is the final close frame. */
  private record Pending(@Nullable Message frame, CompletableFuture<Void> done) {}

  private WsClient(Builder<I, O> b) {
    this.uri = b.uri;
    this.codec = b.codec;
    this.headers = Map.copyOf(b.headers);
    this.subprotocols = List.copyOf(b.subprotocols);
    this.connectTimeout = b.connectTimeout;
    this.closeTimeout = b.closeTimeout;
    this.policy = b.reconnect;
    this.maxQueuedMessages = b.maxQueuedMessages;
    this.maxMessageBytes = b.maxMessageBytes;
    this.autoPong = b.autoPong;
    this.pingInterval = b.pingInterval;
    this.pongTimeout = b.pongTimeout;
    this.listener = b.listener;
    this.scheduler = b.scheduler;
    this.ownsHttp = b.httpClient == null;
    this.http = b.httpClient != null ? b.httpClient : ownHttpClient(b.sslContext);
    this.random = b.random;
    this.callbacks = scheduler.serial("ws-client " + uri);
  }

  /**
   * The client's own HttpClient. Its executor runs tasks in the calling thread (the client's
   * selector thread or the caller of {@code request}): the JDK WebSocket then asks its transport
   * for the next frame before the transport reads again, so an end of input always finds a request
   * waiting (see {@link Connection#received}). Nothing run there blocks: the listener's callbacks
   * go to {@link #callbacks}.
   */
  private static HttpClient ownHttpClient(@Nullable SSLContext ssl) {
    HttpClient.Builder hb = HttpClient.newBuilder().executor(Runnable::run);
    if (ssl != null) {
      hb.sslContext(ssl);
    }
    return hb.build();
  }

  /** A builder for a client of {@code uri} ({@code ws:} or {@code wss:}) using {@code codec}. */
  public static <I, O> Builder<I, O> builder(URI uri, Codec<I, O> codec) {
    return new Builder<>(uri, codec);
  }

  /** The server address. */
  public URI uri() {
    return uri;
  }

  /** The current state. */
  public State state() {
    lock.lock();
    try {
      return state;
    } finally {
      lock.unlock();
    }
  }

  /**
   * The subprotocol the server chose for the open connection (empty if none was chosen or no
   * connection is open).
   */
  public String subprotocol() {
    lock.lock();
    try {
      Connection c = current;
      return c == null || c.socket == null ? "" : c.socket.getSubprotocol();
    } finally {
      lock.unlock();
    }
  }

  /** Whether a connection is open now. */
  public boolean isOpen() {
    return state() == State.OPEN;
  }

  /** Messages queued and not yet handed to the socket. */
  public int queuedMessages() {
    lock.lock();
    try {
      return (int) queue.stream().filter(p -> p.frame != null).count();
    } finally {
      lock.unlock();
    }
  }

  /**
   * Starts connecting (once; later calls return the same future). The future completes when the
   * first connection is open, or fails when the client ends before that (handshake refused,
   * attempts exhausted, {@link #close()}).
   */
  public CompletableFuture<Void> connect() {
    lock.lock();
    try {
      if (state != State.NEW) {
        return firstOpen;
      }
      state = State.CONNECTING;
    } finally {
      lock.unlock();
    }
    attemptConnect();
    return firstOpen;
  }

  /** Completes with the last close status once the client has ended for good. */
  public CompletableFuture<CloseStatus> closed() {
    return terminated;
  }

  /**
   * Encodes {@code message} and queues it. Thread-safe; never blocks. Queued messages are written
   * in order while a connection is open and kept while the client (re)connects.
   *
   * @return completes when the message has been handed to the socket; fails if the connection was
   *     lost while writing it or the client ended with it still queued
   * @throws io.servicekit.EncodeException if the codec cannot encode the message
   * @throws SendQueueFullException if {@link Builder#maxQueuedMessages} messages are already queued
   * @throws IllegalStateException if the client was closed
   */
  public CompletableFuture<Void> send(O message) {
    return enqueue(codec.encode(message), false);
  }

  /** Queues a text frame without the codec (same rules as {@link #send}). */
  public CompletableFuture<Void> sendText(String text) {
    return enqueue(Message.text(text), false);
  }

  /** Queues a binary frame without the codec (same rules as {@link #send}). */
  public CompletableFuture<Void> sendBinary(byte[] bytes) {
    return enqueue(Message.binary(bytes.clone()), false);
  }

  /**
   * Ends the client for good: no more reconnects; messages already queued are written, then a close
   * frame 1000 is sent and the server's answer awaited (at most {@link Builder#closeTimeout}, then
   * the connection is aborted). Returns at once; see {@link #closed()}. Idempotent.
   */
  @Override
  public void close() {
    close(CloseStatus.NORMAL, "");
  }

  /**
   * {@link #close()} with a close code and reason of your choice.
   *
   * @throws IllegalArgumentException if {@code code} is not 1000 or 3000-4999 (the JDK WebSocket
   *     sends no other codes) or the reason is longer than 123 UTF-8 bytes
   */
  public void close(int code, String reason) {
    if (code != CloseStatus.NORMAL && (code < 3000 || code > 4999)) {
      throw new IllegalArgumentException(
          "a client close code must be 1000 or 3000-4999 (java.net.http.WebSocket rule): " + code);
    }
    CloseStatus status = CloseStatus.of(code, reason);
    Connection open = null;
    boolean terminateNow = false;
    List<Pending> dropped = List.of();
    lock.lock();
    try {
      if (closeRequested || state == State.CLOSED) {
        return;
      }
      closeRequested = true;
      switch (state) {
        case NEW, WAITING -> {
          if (pendingReconnect != null) {
            pendingReconnect.cancel();
            pendingReconnect = null;
          }
          terminateNow = true;
        }
        case OPEN -> {
          // null once the connection has ended and afterEnd, not retrying, is about to
          // terminate the client: nothing is left to close
          open = current;
          if (open != null) {
            queue.add(new Pending(null, new CompletableFuture<>()));
            open.closeStatus = status;
          }
        }
        default -> {
          // CONNECTING: what waits for the connection is dropped (docs/clients.md); onOpen sees
          // closeRequested and sends the close frame, a failure terminates
          dropped = new ArrayList<>(queue);
          queue.clear();
        }
      }
    } finally {
      lock.unlock();
    }
    failDropped(dropped, "close() was called before a connection opened");
    if (terminateNow) {
      terminate(status, null);
    } else if (open != null) {
      open.armCloseTimer();
      pump();
    }
  }

  // ---- internals ----

  private CompletableFuture<Void> enqueue(Message frame, boolean control) {
    Pending p = new Pending(frame, new CompletableFuture<>());
    lock.lock();
    try {
      if (closeRequested || state == State.CLOSED) {
        throw new IllegalStateException("WsClient for " + uri + " is closed; cannot send");
      }
      if (!control && queuedMessagesLocked() >= maxQueuedMessages) {
        throw new SendQueueFullException(
            maxQueuedMessages, state.name().toLowerCase(java.util.Locale.ROOT));
      }
      if (control) {
        queue.addFirst(p);
      } else {
        queue.add(p);
      }
    } finally {
      lock.unlock();
    }
    pump();
    return p.done;
  }

  private int queuedMessagesLocked() {
    return queue.size();
  }

  /** Hands the next queued frame to the socket if none is being written. */
  private void pump() {
    Pending p;
    Connection c;
    lock.lock();
    try {
      c = current;
      if (state != State.OPEN || c == null || c.socket == null || c.writing || queue.isEmpty()) {
        return;
      }
      p = queue.poll();
      c.writing = true;
    } finally {
      lock.unlock();
    }
    CompletableFuture<WebSocket> write;
    try {
      if (p.frame == null) {
        CloseStatus s =
            c.closeStatus != null ? c.closeStatus : CloseStatus.of(CloseStatus.NORMAL, "");
        write = c.socket.sendClose(s.code(), s.reason());
      } else if (p.frame instanceof Message.Text t) {
        write = c.socket.sendText(t.text(), true);
      } else {
        write = c.socket.sendBinary(ByteBuffer.wrap(((Message.Binary) p.frame).bytes()), true);
      }
    } catch (RuntimeException e) {
      write = CompletableFuture.failedFuture(e);
    }
    write.whenComplete(
        (ws, error) -> {
          lock.lock();
          try {
            c.writing = false;
          } finally {
            lock.unlock();
          }
          if (error != null) {
            p.done.completeExceptionally(unwrap(error));
            // The connection is failing; what is still queued waits for the next one.
            return;
          }
          p.done.complete(null);
          pump();
        });
  }

  private void attemptConnect() {
    Connection c = new Connection();
    lock.lock();
    try {
      if (closeRequested) {
        return;
      }
      pendingReconnect = null;
      state = State.CONNECTING;
      current = c;
    } finally {
      lock.unlock();
    }
    WebSocket.Builder b = http.newWebSocketBuilder().connectTimeout(connectTimeout);
    headers.forEach(b::header);
    if (!subprotocols.isEmpty()) {
      b.subprotocols(
          subprotocols.get(0), subprotocols.subList(1, subprotocols.size()).toArray(String[]::new));
    }
    CompletableFuture<WebSocket> handshake;
    try {
      handshake = b.buildAsync(uri, c);
    } catch (RuntimeException e) {
      handshake = CompletableFuture.failedFuture(e);
    }
    handshake.whenComplete(
        (ws, error) -> {
          if (error != null) {
            c.retryAfterMillis = retryAfter(error);
            c.ended(null, unwrap(error));
          }
        });
  }

  /** What the end of a connection (or a failed attempt) leads to. */
  private void afterEnd(Connection c, CloseStatus status, @Nullable Throwable error) {
    Duration delay = null; // set when a reconnect is due
    int next = 0;
    boolean retry;
    lock.lock();
    try {
      if (current != c) {
        return;
      }
      current = null;
      if (closeRequested) {
        retry = false;
      } else if (!c.opened) {
        retry = isRetryableFailure(error);
      } else if (c.clientDetected) {
        retry = policy.enabled(); // the client found the socket dead (pong timeout): always retried
      } else {
        retry = policy.isRetryableClose(status.code());
      }
      if (retry && policy.allows(attempt + 1)) {
        // A close frame queued for the lost connection must not close the next one.
        queue.removeIf(p -> p.frame == null && p.done.complete(null));
        next = ++attempt;
        delay =
            policy.delay(
                next,
                random.getAsDouble(),
                policy.initialDelay(),
                Duration.ofMillis(c.retryAfterMillis));
        state = State.WAITING;
      }
    } finally {
      lock.unlock();
    }
    if (c.opened) {
      if (error != null) {
        dispatch(() -> listener.onError(error));
      }
      dispatch(() -> listener.onClose(status));
    } else if (error != null) {
      dispatch(() -> listener.onError(error));
    }
    if (delay == null) { // not retried
      terminate(status, c.opened ? null : error);
      return;
    }
    int n = next;
    Duration d = delay;
    lock.lock();
    try {
      if (state == State.WAITING && !closeRequested) {
        // Scheduled before onReconnecting is announced, so whoever reacts to the announcement
        // (a test advancing a fake clock) finds the attempt already on the clock; the attempt
        // takes this lock, so it cannot report anything before the announcement is queued.
        pendingReconnect = scheduler.schedule(this::attemptConnect, d);
        dispatch(() -> listener.onReconnecting(n, d));
      }
    } finally {
      lock.unlock();
    }
  }

  private boolean isRetryableFailure(@Nullable Throwable error) {
    if (error instanceof HttpStatusException h) {
      return policy.isRetryableStatus(h.status());
    }
    return policy.enabled();
  }

  private void terminate(@Nullable CloseStatus status, @Nullable Throwable error) {
    List<Pending> dropped;
    lock.lock();
    try {
      state = State.CLOSED;
      closeRequested = true;
      dropped = new ArrayList<>(queue);
      queue.clear();
    } finally {
      lock.unlock();
    }
    if (ownsHttp) {
      http.shutdown(); // its selector thread; nothing is in flight any more
    }
    failDropped(dropped, "the client ended before the message was sent");
    dispatch(
        () -> {
          if (!firstOpen.isDone()) {
            firstOpen.completeExceptionally(
                error != null
                    ? error
                    : new IllegalStateException(
                        "WsClient for " + uri + " closed before it opened"));
          }
          terminated.complete(
              status == null ? CloseStatus.received(CloseStatus.ABNORMAL, "") : status);
        });
  }

  /** Fails the futures of messages that never reached a socket, saying how many were dropped. */
  private void failDropped(List<Pending> dropped, String why) {
    long n = dropped.stream().filter(p -> p.frame != null).count();
    IllegalStateException gone =
        new IllegalStateException(
            "WsClient for " + uri + ": " + why + " (" + n + " queued messages dropped)");
    for (Pending p : dropped) {
      if (p.frame == null) {
        p.done.complete(null);
      } else {
        p.done.completeExceptionally(gone);
      }
    }
  }

  private void dispatch(Runnable r) {
    callbacks.execute(r);
  }

  /** The {@code Retry-After} of a refused handshake, in ms (0 if none). */
  private static long retryAfter(Throwable t) {
    while (t instanceof CompletionException && t.getCause() != null) {
      t = t.getCause();
    }
    return t instanceof WebSocketHandshakeException h
        ? ReconnectPolicy.retryAfterMillis(
            h.getResponse().headers().firstValue("Retry-After").orElse(null),
            System.currentTimeMillis())
        : 0;
  }

  private Throwable unwrap(Throwable t) {
    while ((t instanceof CompletionException
            || t instanceof java.util.concurrent.ExecutionException)
        && t.getCause() != null) {
      t = t.getCause();
    }
    if (t instanceof WebSocketHandshakeException h) {
      Object body = h.getResponse().body();
      return new HttpStatusException(
          uri,
          h.getResponse().statusCode(),
          body == null ? "" : body.toString(),
          "WebSocket handshake refused");
    }
    return t;
  }

  private void handleText(Connection c, String text) {
    Envelopes.Envelope env = Envelopes.inspect(text);
    if (env instanceof Envelopes.Ping ping) {
      if (autoPong) {
        try {
          enqueue(Message.text(Envelopes.pong(ping.pingId())), true);
        } catch (IllegalStateException closed) {
          // closing: no pong needed
        }
      }
      listener.onPing(ping.pingId());
      return;
    }
    if (env instanceof Envelopes.Error err) {
      listener.onError(new ServerErrorException(err.message(), err.code()));
      return;
    }
    if (env instanceof Envelopes.Pong pong && c.answered(pong.pingId())) {
      listener.onPong(pong.pingId());
      return;
    }
    deliver(Message.text(text));
  }

  private void deliver(Message frame) {
    I message;
    try {
      message = codec.decode(frame);
    } catch (DecodeException e) {
      listener.onError(e);
      return;
    }
    listener.onMessage(message);
  }

  /** The JDK listener of one connection attempt. */
  private final class Connection implements WebSocket.Listener {
    @Nullable WebSocket socket; // guarded by lock
    boolean opened; // guarded by lock
    boolean writing; // guarded by lock
    boolean ended; // guarded by lock
    volatile @Nullable CloseStatus closeStatus;
    volatile long retryAfterMillis; // a refused handshake's Retry-After
    boolean clientDetected; // ended by the client's own pong timeout; guarded by lock
    private Scheduler.@Nullable Cancellable closeTimer; // guarded by lock
    private Scheduler.@Nullable Cancellable pingTimer; // guarded by lock
    private Scheduler.@Nullable Cancellable pongTimer; // guarded by lock
    private long pingSeq; // ids of the client's own pings; guarded by lock
    private final StringBuilder text = new StringBuilder();
    private final ByteArrayOutputStream binary = new ByteArrayOutputStream();
    private boolean tooBig;
    private final AtomicInteger backlog = new AtomicInteger(); // received, not yet handled
    private final AtomicBoolean owed = new AtomicBoolean(); // a request held back by the backlog

    @Override
    public void onOpen(WebSocket ws) {
      boolean closing;
      lock.lock();
      try {
        if (current != this) {
          ws.abort();
          return;
        }
        socket = ws;
        opened = true;
        state = State.OPEN;
        attempt = 0;
        closing = closeRequested;
        if (closing) {
          closeStatus = CloseStatus.of(CloseStatus.NORMAL, "");
          queue.add(new Pending(null, new CompletableFuture<>()));
        }
      } finally {
        lock.unlock();
      }
      if (!closing) {
        // on the clock before onOpen is announced, so a test that reacts by advancing a fake
        // clock finds the first ping there
        schedulePing();
      }
      dispatch(
          () -> {
            listener.onOpen();
            firstOpen.complete(null);
          });
      if (closing) {
        armCloseTimer();
      }
      ws.request(1);
      pump();
    }

    /** Client heartbeat (docs/clients.md): the next ping after {@code pingInterval}. */
    private void schedulePing() {
      if (pingInterval.isZero()) {
        return;
      }
      Scheduler.Cancellable timer = scheduler.schedule(this::ping, pingInterval);
      boolean cancel;
      lock.lock();
      try {
        cancel = ended;
        if (!ended) {
          pingTimer = timer;
        }
      } finally {
        lock.unlock();
      }
      if (cancel) {
        timer.cancel();
      }
    }

    private void ping() {
      long id;
      boolean watch;
      lock.lock();
      try {
        if (ended || current != this || closeRequested) {
          return;
        }
        id = ++pingSeq;
        watch = !pongTimeout.isZero() && pongTimer == null;
        if (watch) {
          pongTimer = scheduler.schedule(() -> pongTimedOut(id), pongTimeout);
        }
      } finally {
        lock.unlock();
      }
      try {
        enqueue(
            Message.text(
                "{\"type\":\"ping\",\"pingId\":"
                    + id
                    + ",\"timestamp\":"
                    + System.currentTimeMillis()
                    + "}"),
            true);
      } catch (IllegalStateException closing) {
        return;
      }
      schedulePing();
    }

    /** Whether {@code pingId} answers one of this connection's pings; clears the pong deadline. */
    boolean answered(long pingId) {
      Scheduler.Cancellable timer;
      lock.lock();
      try {
        if (pingId < 1 || pingId > pingSeq) {
          return false;
        }
        timer = pongTimer;
        pongTimer = null;
      } finally {
        lock.unlock();
      }
      if (timer != null) {
        timer.cancel();
      }
      return true;
    }

    /**
     * No pong in time: the socket is taken for dead. The client sends close 4000 (best effort),
     * aborts without waiting for an answer, reports close 4000 and reconnects.
     */
    private void pongTimedOut(long pingId) {
      WebSocket ws;
      lock.lock();
      try {
        if (ended || pongTimer == null) {
          return;
        }
        pongTimer = null;
        clientDetected = true;
        ws = socket;
      } finally {
        lock.unlock();
      }
      String why =
          "no pong for ping "
              + pingId
              + " within "
              + pongTimeout.toMillis()
              + " ms: dropping the"
              + " connection";
      dispatch(() -> listener.onError(new IllegalStateException(why)));
      if (ws != null) {
        try {
          ws.sendClose(PONG_TIMEOUT, "pong timeout");
        } catch (RuntimeException e) {
          // a write is in flight or the output is closed: the abort below ends it anyway
        }
        ws.abort();
      }
      ended(CloseStatus.of(PONG_TIMEOUT, "pong timeout"), null);
    }

    @Override
    public @Nullable CompletionStage<?> onText(WebSocket ws, CharSequence data, boolean last) {
      if (!tooBig) {
        text.append(data);
        if (text.length() > maxMessageBytes) {
          text.setLength(0);
          tooBig = true;
          tooBig(ws);
        }
      }
      if (!last) {
        ws.request(1);
        return null;
      }
      if (tooBig) {
        tooBig = false;
        ws.request(1);
        return null;
      }
      String message = text.toString();
      text.setLength(0);
      received(ws);
      dispatch(
          () -> {
            try {
              handleText(this, message);
            } finally {
              handled(ws);
            }
          });
      return null;
    }

    @Override
    public @Nullable CompletionStage<?> onBinary(WebSocket ws, ByteBuffer data, boolean last) {
      if (!tooBig) {
        if ((long) binary.size() + data.remaining() > maxMessageBytes) {
          binary.reset();
          tooBig = true;
          tooBig(ws);
        } else {
          byte[] chunk = new byte[data.remaining()];
          data.get(chunk);
          binary.writeBytes(chunk);
        }
      }
      if (!last) {
        ws.request(1);
        return null;
      }
      if (tooBig) {
        tooBig = false;
        ws.request(1);
        return null;
      }
      byte[] message = binary.toByteArray();
      binary.reset();
      received(ws);
      dispatch(
          () -> {
            try {
              deliver(Message.binary(message));
            } finally {
              handled(ws);
            }
          });
      return null;
    }

    /**
     * A whole message was handed to the listener's queue: the next one is requested at once unless
     * {@value #READ_AHEAD} are waiting (then {@link #handled} requests it). Requesting ahead
     * matters beyond throughput: the JDK WebSocket (checked on JDK 25) drops an end of input that
     * it reads while no message is requested (its {@code acknowledgeReception} fails inside the
     * selector task, and neither {@code onClose} nor {@code onError} is called), so the demand must
     * not wait for the listener.
     */
    private void received(WebSocket ws) {
      if (backlog.incrementAndGet() < READ_AHEAD) {
        ws.request(1);
        return;
      }
      owed.set(true);
      // the listener may have caught up before owed was set: then the request is made here
      if (backlog.get() < READ_AHEAD && owed.compareAndSet(true, false)) {
        ws.request(1);
      }
    }

    /** The listener is done with a message: a request held back by the backlog is made now. */
    private void handled(WebSocket ws) {
      if (backlog.decrementAndGet() < READ_AHEAD && owed.compareAndSet(true, false)) {
        ws.request(1);
      }
    }

    private void tooBig(WebSocket ws) {
      String reason = "message larger than maxMessageBytes=" + maxMessageBytes;
      dispatch(() -> listener.onError(new IllegalStateException(reason)));
      // The JDK client may only send close codes 1000 and 3000-4999, so 1009 cannot go on the
      // wire: the connection is dropped and reported as closed with 1009 (not retried).
      lock.lock();
      try {
        if (ended) {
          return;
        }
      } finally {
        lock.unlock();
      }
      ws.abort();
      ended(CloseStatus.received(CloseStatus.MESSAGE_TOO_BIG, "message too big"), null);
    }

    @Override
    public @Nullable CompletionStage<?> onPing(WebSocket ws, ByteBuffer message) {
      ws.request(1); // the JDK answers protocol pings itself
      return null;
    }

    @Override
    public @Nullable CompletionStage<?> onPong(WebSocket ws, ByteBuffer message) {
      ws.request(1);
      return null;
    }

    @Override
    public @Nullable CompletionStage<?> onClose(WebSocket ws, int statusCode, String reason) {
      ended(CloseStatus.received(statusCode, reason), null);
      return null; // the JDK answers with a close frame
    }

    @Override
    public void onError(WebSocket ws, Throwable error) {
      ended(CloseStatus.received(CloseStatus.ABNORMAL, String.valueOf(error.getMessage())), error);
    }

    void abort(String why) {
      WebSocket ws;
      lock.lock();
      try {
        ws = socket;
        if (ended) {
          return;
        }
      } finally {
        lock.unlock();
      }
      if (ws != null) {
        ws.abort();
      }
      ended(CloseStatus.received(CloseStatus.ABNORMAL, why), null);
    }

    /**
     * Aborts this connection if the close handshake has not ended it within {@code closeTimeout};
     * the timer is cancelled when it ends, so it never keeps a closed client reachable.
     */
    void armCloseTimer() {
      Scheduler.Cancellable timer = scheduler.schedule(() -> abort("close timeout"), closeTimeout);
      boolean cancel;
      lock.lock();
      try {
        cancel = ended;
        if (!ended) {
          closeTimer = timer;
        }
      } finally {
        lock.unlock();
      }
      if (cancel) {
        timer.cancel();
      }
    }

    void ended(@Nullable CloseStatus status, @Nullable Throwable error) {
      List<Scheduler.Cancellable> timers = new ArrayList<>(3);
      lock.lock();
      try {
        if (ended) {
          return;
        }
        ended = true;
        for (Scheduler.Cancellable t :
            new Scheduler.Cancellable[] {closeTimer, pingTimer, pongTimer}) {
          if (t != null) {
            timers.add(t);
          }
        }
        closeTimer = pingTimer = pongTimer = null;
      } finally {
        lock.unlock();
      }
      timers.forEach(Scheduler.Cancellable::cancel);
      afterEnd(
          this, status == null ? CloseStatus.received(CloseStatus.ABNORMAL, "") : status, error);
    }
  }

  /**
   * Configures a {@link WsClient}. Required: the URI and codec given to {@link WsClient#builder};
   * everything else has a default.
   *
   * @param <I> the type of received messages
   * @param <O> the type of sent messages
   */
  public static final class Builder<I, O> {
    private final URI uri;
    private final Codec<I, O> codec;
    private final Map<String, String> headers = new LinkedHashMap<>();
    private final List<String> subprotocols = new ArrayList<>();
    private Duration connectTimeout = Duration.ofSeconds(10);
    private Duration closeTimeout = Duration.ofSeconds(5);
    private ReconnectPolicy reconnect = ReconnectPolicy.exponential();
    private int maxQueuedMessages = 1000;
    private int maxMessageBytes = 16 << 20;
    private boolean autoPong = true;
    private Duration pingInterval = Duration.ZERO;
    private Duration pongTimeout = Duration.ZERO;
    private Listener<I> listener = new Listener<>() {};
    private Scheduler scheduler = Scheduler.system();
    private @Nullable HttpClient httpClient;
    private @Nullable SSLContext sslContext;
    private DoubleSupplier random = () -> ThreadLocalRandom.current().nextDouble();

    private Builder(URI uri, Codec<I, O> codec) {
      this.uri = Objects.requireNonNull(uri, "uri");
      this.codec = Objects.requireNonNull(codec, "codec");
      String scheme = uri.getScheme();
      if (!"ws".equalsIgnoreCase(scheme) && !"wss".equalsIgnoreCase(scheme)) {
        throw new IllegalArgumentException("WebSocket URI must use ws: or wss:, got " + uri);
      }
    }

    /** Adds a handshake request header (e.g. {@code Authorization}); sent on every attempt. */
    public Builder<I, O> header(String name, String value) {
      Objects.requireNonNull(name, "name");
      Objects.requireNonNull(value, "value");
      headers.put(name, value);
      return this;
    }

    /** Subprotocols offered in {@code Sec-WebSocket-Protocol}, most preferred first. */
    public Builder<I, O> subprotocols(String... protocols) {
      for (String p : protocols) {
        if (p == null || p.isBlank()) {
          throw new IllegalArgumentException("subprotocol must not be blank");
        }
        subprotocols.add(p);
      }
      return this;
    }

    /** Timeout of each handshake (default 10 s). */
    public Builder<I, O> connectTimeout(Duration v) {
      connectTimeout = Check.positive("connectTimeout", v);
      return this;
    }

    /** How long {@link WsClient#close()} waits for the server's close frame (default 5 s). */
    public Builder<I, O> closeTimeout(Duration v) {
      closeTimeout = Check.positive("closeTimeout", v);
      return this;
    }

    /** Reconnect behaviour (default {@link ReconnectPolicy#exponential()}). */
    public Builder<I, O> reconnect(ReconnectPolicy v) {
      reconnect = Objects.requireNonNull(v, "reconnect");
      return this;
    }

    /** Bound of the send queue (default 1000 messages); must be positive. */
    public Builder<I, O> maxQueuedMessages(int v) {
      maxQueuedMessages = Check.positive("maxQueuedMessages", v);
      return this;
    }

    /**
     * Largest received message, in bytes for binary and in chars for text (default 16 MiB); a
     * larger one is reported to {@code onError}, the connection is dropped and reported to {@code
     * onClose} as 1009, which is not retried (the JDK client cannot send 1009 itself).
     */
    public Builder<I, O> maxMessageBytes(int v) {
      maxMessageBytes = Check.positive("maxMessageBytes", v);
      return this;
    }

    /** Whether server JSON pings are answered automatically (default true). */
    public Builder<I, O> autoPong(boolean v) {
      autoPong = v;
      return this;
    }

    /**
     * Client heartbeat: while open, send {@code {"type":"ping","pingId":n,"timestamp":ms}} this
     * often (default {@link Duration#ZERO}: never). The server's {@code {"type":"pong","pingId":n}}
     * is reported to {@link Listener#onPong} and not to {@code onMessage}.
     */
    public Builder<I, O> pingInterval(Duration v) {
      pingInterval = Check.notNegative("pingInterval", v);
      return this;
    }

    /**
     * With {@link #pingInterval}: a ping left without its pong this long drops the socket (close
     * {@value WsClient#PONG_TIMEOUT} "pong timeout", sent without waiting for an answer), is
     * reported to {@code onError} and {@code onClose}, and is always retried (default {@link
     * Duration#ZERO}: no check).
     */
    public Builder<I, O> pongTimeout(Duration v) {
      pongTimeout = Check.notNegative("pongTimeout", v);
      return this;
    }

    /** Receives the client's events. */
    public Builder<I, O> listener(Listener<I> v) {
      listener = Objects.requireNonNull(v, "listener");
      return this;
    }

    /** Clock for backoff delays and the close timeout (default {@link Scheduler#system()}). */
    public Builder<I, O> scheduler(Scheduler v) {
      scheduler = Objects.requireNonNull(v, "scheduler");
      return this;
    }

    /**
     * The HTTP client to open connections with (default: a new one per WsClient, shut down when the
     * client ends; one given here is left open).
     */
    public Builder<I, O> httpClient(HttpClient v) {
      httpClient = Objects.requireNonNull(v, "httpClient");
      return this;
    }

    /**
     * Whom to trust on {@code wss:} (e.g. a private CA): the HTTP client this client makes uses it.
     * Default: the JDK's trust store. Not combinable with {@link #httpClient} (configure that
     * client instead).
     */
    public Builder<I, O> sslContext(SSLContext v) {
      sslContext = Objects.requireNonNull(v, "sslContext");
      return this;
    }

    /** Source of jitter, numbers in {@code [0, 1)} (default: random; tests pass a constant). */
    public Builder<I, O> random(DoubleSupplier v) {
      random = Objects.requireNonNull(v, "random");
      return this;
    }

    public WsClient<I, O> build() {
      if (!pongTimeout.isZero() && pingInterval.isZero()) {
        throw new IllegalStateException(
            "pongTimeout (" + pongTimeout + ") needs a pingInterval: the client sends no pings");
      }
      if (httpClient != null && sslContext != null) {
        throw new IllegalStateException(
            "sslContext applies to the HttpClient this client makes; with httpClient(...) set the"
                + " SSLContext on that HttpClient instead");
      }
      return new WsClient<>(this);
    }
  }
}
