package io.servicekit.internal.driver;

import io.servicekit.Codec;
import io.servicekit.Rejection;
import io.servicekit.Request;
import io.servicekit.Scheduler;
import io.servicekit.internal.Ids;
import io.servicekit.internal.SseFormat;
import io.servicekit.internal.lifecycle.Lifecycle;
import io.servicekit.spi.SseDriver;
import io.servicekit.spi.SseTransport;
import io.servicekit.spi.Transport;
import io.servicekit.sse.ResumableStreams;
import io.servicekit.sse.SseConfig;
import io.servicekit.sse.SseEvent;
import io.servicekit.sse.SseListener;
import io.servicekit.sse.SseSession;
import io.servicekit.sse.StreamEnd;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The state machine that drives one {@link SseListener} over an {@link SseTransport}: the bounded
 * outgoing queue with one writer, keepalive comments, the write timeout, resumption (join, replay,
 * publish) and the exactly-once {@code onClose}. Server bindings create one per accepted request
 * ({@link SseDriver#create}) and report the transport's failure to it; applications see it only as
 * the {@link SseSession}. Internal: not part of the API.
 *
 * <p>States: {@code NEW → OPEN → CLOSING → CLOSED}. {@link #close()} writes what is queued, then
 * ends the response; the client going away, a write failure, a slow consumer, a write timeout or
 * {@link #abort()} drop it at once. {@code onClose} runs once on reaching {@code CLOSED}.
 */
public final class SseConnection<O> implements SseSession<O>, SseMember<O>, SseDriver {
  private static final Logger LOG = LoggerFactory.getLogger(SseConnection.class);

  /** The request header a reconnecting client sends. */
  public static final String LAST_EVENT_ID = "Last-Event-ID";

  private static final byte[] END = new byte[0]; // identity marks the end of the stream
  private static final byte[] KEEPALIVE = SseFormat.keepalive();

  /** Identifies a resumable stream across endpoints sharing one {@link ResumableStreams}. */
  private record StreamKey(ResumableStreams streams, String streamId) {}

  private final SseListener<O> listener;
  private final String id = Ids.random();
  private final SseConfig config;
  private final Request request;
  private final @Nullable String lastEventId;
  private final @Nullable StreamKey streamKey; // null unless resumption is on
  private final Scheduler scheduler;
  private final Executor callbacks;
  private final AtomicBoolean joined = new AtomicBoolean();
  // Queue items: encoded events, then END as the last one; held until onOpen returns.
  private final Lifecycle<byte[], StreamEnd> life;
  private final Lifecycle<byte[], StreamEnd>.Timer keepaliveTimer;

  private volatile @Nullable SseTransport transport; // set by open()

  /**
   * Creates the driver for {@code listener}; call {@link #open} once the response is ready.
   *
   * @param lastEventId the client's {@code Last-Event-ID}, as checked by {@link #lastEventId(
   *     Request, SseConfig)}, or null
   * @throws Rejection if resumption is on and its stream-id function refuses the request
   */
  public SseConnection(
      SseListener<O> listener, SseConfig config, Request request, @Nullable String lastEventId) {
    this.listener = listener;
    this.config = config;
    this.request = request;
    this.lastEventId = lastEventId;
    this.scheduler = config.scheduler();
    this.life =
        new Lifecycle<>(
            id,
            scheduler,
            "servicekit-sse-" + id,
            config.maxQueuedBytes(),
            true,
            config.writeTimeout(),
            Lifecycle.FailRule.FAILURE_REPLACES_CLOSE,
            new Hooks());
    this.callbacks = life.callbacks();
    this.keepaliveTimer = life.timer();
    ResumableStreams streams = config.resumption().orElse(null);
    this.streamKey = streams == null ? null : new StreamKey(streams, streams.streamIdFor(request));
  }

  /** What the shell asks of the SSE protocol. */
  private final class Hooks implements Lifecycle.Protocol<byte[], StreamEnd> {
    @Override
    public void write(byte[] item, Transport.WriteCallback callback) {
      if (item != END) {
        transport().write(item, callback);
        return;
      }
      transport()
          .end(
              new Transport.WriteCallback() {
                @Override
                public void succeeded() {
                  callback.succeeded();
                  life.end(
                      life.localEndOr(
                          new StreamEnd(StreamEnd.Reason.CLOSED, "closed by the server")));
                }

                @Override
                public void failed(Throwable cause) {
                  callback.failed(cause);
                }
              });
    }

    @Override
    public void writeFailed(Throwable cause) {
      LOG.debug("{} {}: write failed", listener.name(), id, cause);
      fail(new StreamEnd(StreamEnd.Reason.DISCONNECTED, "write failed: " + cause));
    }

    @Override
    public void writeStuck() {
      LOG.debug("{} {}: write timeout", listener.name(), id);
      fail(
          new StreamEnd(
              StreamEnd.Reason.WRITE_TIMEOUT,
              "write timeout: client read nothing for " + config.writeTimeout().toMillis() + "ms"));
    }

    @Override
    public void slowConsumer() {
      LOG.debug("{} {}: slow consumer", listener.name(), id);
      fail(
          new StreamEnd(
              StreamEnd.Reason.SLOW_CONSUMER,
              "slow consumer: more than " + config.maxQueuedBytes() + " bytes queued"));
    }

    @Override
    public void ended(StreamEnd status, boolean failed) {
      leaveStream();
      LOG.debug("{} {}: closed: {}", listener.name(), id, status);
    }

    @Override
    public void deliverEnd(StreamEnd status) {
      deliverClose(status);
    }
  }

  /**
   * The {@code Last-Event-ID} of {@code request}, or null if absent or empty.
   *
   * @throws Rejection 400 if the header is repeated or longer than {@link
   *     SseConfig#maxLastEventIdLength()}
   */
  public static @Nullable String lastEventId(Request request, SseConfig config) {
    List<String> values = request.headers(LAST_EVENT_ID);
    if (values.isEmpty()) {
      return null;
    }
    if (values.size() > 1) {
      throw Rejection.of(
          400, "Last-Event-ID must be sent at most once, got " + values.size() + " values");
    }
    String id = values.get(0);
    if (id.length() > config.maxLastEventIdLength()) {
      throw Rejection.of(
          400,
          "Last-Event-ID must be at most "
              + config.maxLastEventIdLength()
              + " characters, got "
              + id.length());
    }
    return id.isEmpty() ? null : id;
  }

  // ---------------------------------------------------------------- events from the binding

  @Override
  public SseSession<O> session() {
    return this;
  }

  /**
   * The response is ready (status and headers set, nothing written): joins the resumable stream
   * (queueing a replay), starts keepalives and runs {@code onOpen}; writing starts when {@code
   * onOpen} returns.
   */
  @Override
  public void open(SseTransport transport) {
    if (!life.open()) {
      transport.abort(new IOException("SSE stream ended before it opened"));
      return;
    }
    this.transport = transport;
    // The first write commits the status and headers, so the client sees the stream open at once.
    byte[] first =
        config.retry().map(r -> SseFormat.retry(Math.max(1, r.toMillis()))).orElse(new byte[0]);
    enqueue(first);
    StreamKey key = streamKey;
    if (key != null) {
      joined.set(true);
      SseAccess.provider().join(key.streams(), this, key.streamId(), lastEventId);
    }
    if (!config.keepalivePeriod().isZero()) {
      keepaliveTimer.repeat(() -> enqueue(KEEPALIVE), config.keepalivePeriod());
    }
    LOG.debug("{} {}: open", listener.name(), id);
    callbacks.execute(this::deliverOpen);
  }

  /** The response failed underneath: the client went away, or the server is stopping. */
  @Override
  public void onTransportFailure(Throwable cause) {
    fail(new StreamEnd(StreamEnd.Reason.DISCONNECTED, "connection ended: " + cause));
  }

  // ---------------------------------------------------------------- SseSession

  @Override
  public String id() {
    return id;
  }

  @Override
  public Request request() {
    return request;
  }

  @Override
  public Optional<String> lastEventId() {
    return Optional.ofNullable(lastEventId);
  }

  @Override
  public Optional<String> streamId() {
    return streamKey == null ? Optional.empty() : Optional.of(streamKey.streamId());
  }

  @Override
  public boolean send(SseEvent event) {
    if (!life.isOpen()) {
      return false;
    }
    StreamKey key = streamKey;
    if (key != null) {
      key.streams().publish(key.streamId(), event);
      return true;
    }
    return enqueue(SseAccess.provider().wire(event));
  }

  @Override
  public boolean sendDirect(SseEvent event) {
    return enqueue(SseAccess.provider().wire(event));
  }

  @Override
  public boolean sendComment(String text) {
    return enqueue(SseFormat.comment(text));
  }

  @Override
  public boolean sendRetry(Duration retry) {
    long millis = retry.toMillis();
    if (millis <= 0) {
      throw new IllegalArgumentException("SSE retry must be at least 1 ms: " + retry);
    }
    return enqueue(SseFormat.retry(millis));
  }

  @Override
  public boolean isOpen() {
    return life.isOpen();
  }

  @Override
  public long queuedBytes() {
    return life.queue().queuedBytes();
  }

  @Override
  public long droppedMessages() {
    return life.queue().dropped();
  }

  @Override
  public boolean close() {
    if (!life.close(new StreamEnd(StreamEnd.Reason.CLOSED, "closed by the server"))) {
      return false;
    }
    LOG.debug("{} {}: closing", listener.name(), id);
    leaveStream();
    life.queue().offerLast(END);
    return true;
  }

  @Override
  public void abort() {
    fail(new StreamEnd(StreamEnd.Reason.ABORTED, "aborted by the server"));
  }

  @Override
  public CompletionStage<StreamEnd> closeFuture() {
    return life.closeFuture();
  }

  @Override
  public boolean send(O message) {
    return sendEventWithId(null, null, message);
  }

  @Override
  public boolean sendEvent(String event, O message) {
    return sendEventWithId(event, null, message);
  }

  @Override
  public boolean sendEventWithId(@Nullable String event, @Nullable String id, O message) {
    if (!isOpen()) {
      return false;
    }
    return send(SseEvent.encode(listener.codec(), event, id, message));
  }

  @Override
  public void whenClosed(Consumer<StreamEnd> action) {
    Objects.requireNonNull(action, "action");
    life.whenClosed(action);
  }

  /** The configuration this stream runs with. */
  public SseConfig config() {
    return config;
  }

  // ---------------------------------------------------------------- SseMember

  /** Queues framed bytes for this connection; used for direct sends, replays and publishes. */
  @Override
  public boolean enqueue(byte[] bytes) {
    return life.send(bytes, bytes.length, config.slowConsumerPolicy());
  }

  /** Whether {@code onClose} has been scheduled (the stream has ended). */
  @Override
  public boolean isFinished() {
    return life.isEnded();
  }

  /** The resumable stream of this connection, or null. */
  @Override
  public @Nullable Object streamKey() {
    return streamKey;
  }

  /** The listener's codec (a hub encodes once per codec). */
  @Override
  public Codec<?, O> codec() {
    return listener.codec();
  }

  @Override
  public long maxQueuedBytes() {
    return config.maxQueuedBytes();
  }

  // ---------------------------------------------------------------- calls into user code

  private void deliverOpen() {
    try {
      listener.onOpen(this);
    } catch (Throwable e) {
      startFailed(e);
      return;
    }
    life.queue().release();
  }

  private void deliverClose(StreamEnd status) {
    try {
      listener.onClose(this, status);
    } catch (Throwable e) {
      LOG.warn("{} {}: onClose threw", listener.name(), id, e);
    }
  }

  // ---------------------------------------------------------------- internals

  private void startFailed(Throwable e) {
    if (e instanceof Rejection) {
      LOG.debug("{} {}: onOpen refused the stream: {}", listener.name(), id, e.toString());
    } else {
      LOG.warn("{} {}: onStart failed", listener.name(), id, e);
    }
    // Unless the client went away meanwhile (onClose is then already scheduled): the queue is
    // still held, so nothing is committed and the request can be answered with a status.
    life.abort(
        new StreamEnd(StreamEnd.Reason.START_FAILED, "onOpen threw " + e),
        () -> {
          switch (e) {
            case Rejection r -> transport().reject(r.status(), r.body(), r.headers());
            default -> transport().reject(500, "internal server error", Map.of());
          }
        });
  }

  /** Ends the stream at once: nothing more can be written in order. */
  private void fail(StreamEnd status) {
    // End first: aborting fails the write in flight, whose report must not replace the cause.
    if (life.fail(status)) {
      SseTransport t = transport;
      if (t != null) { // null only while open() has not stored it: the binding reported the end
        t.abort(new IOException("SSE stream dropped: " + status.detail()));
      }
    }
  }

  /** The transport given to {@link #open}: everything that writes runs after it. */
  private SseTransport transport() {
    SseTransport t = transport;
    if (t == null) {
      throw new IllegalStateException("SSE stream " + id + " is not open");
    }
    return t;
  }

  private void leaveStream() {
    StreamKey key = streamKey;
    if (key != null && joined.compareAndSet(true, false)) {
      SseAccess.provider().leave(key.streams(), this, key.streamId());
    }
  }

  @Override
  public String toString() {
    return "SseConnection[" + listener.name() + " " + id + " " + life.state() + "]";
  }
}
