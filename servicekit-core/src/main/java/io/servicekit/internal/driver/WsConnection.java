package io.servicekit.internal.driver;

import io.servicekit.CloseException;
import io.servicekit.CloseStatus;
import io.servicekit.Codec;
import io.servicekit.ErrorAction;
import io.servicekit.Message;
import io.servicekit.Request;
import io.servicekit.Scheduler;
import io.servicekit.WsConfig;
import io.servicekit.WsListener;
import io.servicekit.WsSession;
import io.servicekit.internal.Ids;
import io.servicekit.internal.SerialExecutor;
import io.servicekit.internal.SharedJson;
import io.servicekit.internal.lifecycle.Lifecycle;
import io.servicekit.spi.Transport;
import io.servicekit.spi.WsDriver;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The state machine that drives one {@link WsListener} over a {@link Transport}: ordered callback
 * dispatch, heartbeat and timeout, the outgoing queue, and the close handshake. Server bindings
 * create one per upgraded connection ({@link WsDriver#create}) and report the transport's events to
 * it; applications see it only as the {@link WsSession} passed to every listener callback.
 * Internal: not part of the API.
 *
 * <p>States: {@code NEW → OPEN → CLOSING → CLOSED}. Any close frame from the peer, a transport
 * failure, {@link #close}, {@link #abort}, a heartbeat timeout, a slow consumer or a write timeout
 * moves it towards {@code CLOSED}; {@code onClose} runs once when it gets there.
 *
 * @param <I> the connection's decoded message type
 */
public final class WsConnection<I, O> implements WsSession<O>, WsDriver {
  private static final Logger LOG = LoggerFactory.getLogger(WsConnection.class);

  private final WsListener<I, O> listener;
  private final String id = Ids.random();
  private final AtomicLong pingId = new AtomicLong();
  private final WsConfig config;
  private final Request request;
  private final @Nullable String subprotocol;
  private final Scheduler scheduler;
  private final Executor callbacks;
  // Queue items: frames, then a CloseStatus as the last one (the close frame).
  private final Lifecycle<Object, CloseStatus> life;
  private final Lifecycle<Object, CloseStatus>.Timer pingTimer;
  private final Lifecycle<Object, CloseStatus>.Timer timeoutTimer;
  private final Lifecycle<Object, CloseStatus>.Timer closeTimer;

  private volatile @Nullable Transport transport; // set by open()
  private volatile long lastReadNanos;

  /**
   * Creates the driver for {@code listener}; call {@link #open(Transport)} once the transport is
   * ready.
   */
  public WsConnection(
      WsListener<I, O> listener, WsConfig config, Request request, @Nullable String subprotocol) {
    this.listener = Objects.requireNonNull(listener, "listener");
    this.config = config;
    this.request = request;
    this.subprotocol = subprotocol;
    this.scheduler = config.scheduler();
    this.life =
        new Lifecycle<>(
            id,
            scheduler,
            "servicekit-conn-" + id,
            config.maxQueuedBytes(),
            false,
            config.writeTimeout(),
            Lifecycle.FailRule.FIRST_END_WINS,
            new Hooks());
    this.callbacks = life.callbacks();
    this.pingTimer = life.timer();
    this.timeoutTimer = life.timer();
    this.closeTimer = life.timer();
  }

  /** What the shell asks of the WebSocket protocol. */
  private final class Hooks implements Lifecycle.Protocol<Object, CloseStatus> {
    /** The write queue's sink: one frame, or the close frame (the queue's last item). */
    @Override
    public void write(Object item, Transport.WriteCallback callback) {
      switch (item) {
        case Message.Text t -> transport().sendText(t.text(), callback);
        case Message.Binary b -> transport().sendBinary(b.bytes(), callback);
        case CloseStatus s -> transport().sendClose(s.code(), s.reason(), callback);
        default -> throw new IllegalStateException("unexpected queue item " + item);
      }
    }

    @Override
    public void writeFailed(Throwable cause) {
      LOG.debug("{} {}: write failed", listener.name(), id, cause);
      // The transport is broken: no close frame can get out, so drop it now.
      abortWith(CloseStatus.of(CloseStatus.GOING_AWAY, "write failed: " + cause));
    }

    @Override
    public void writeStuck() {
      LOG.debug("{} {}: write timeout", listener.name(), id);
      // A stuck write means a close frame could not get out either.
      abortWith(
          CloseStatus.of(
              CloseStatus.POLICY_VIOLATION,
              "write timeout: peer read nothing for " + config.writeTimeout().toMillis() + "ms"));
    }

    @Override
    public void slowConsumer() {
      LOG.debug("{} {}: slow consumer", listener.name(), id);
      failWith(
          CloseStatus.of(
              CloseStatus.POLICY_VIOLATION,
              "slow consumer: more than " + config.maxQueuedBytes() + " bytes queued"));
    }

    @Override
    public void ended(CloseStatus status, boolean failed) {
      LOG.debug("{} {}: closed with {}", listener.name(), id, status);
    }

    @Override
    public void deliverEnd(CloseStatus status) {
      deliverClose(status);
    }
  }

  // ---------------------------------------------------------------- events from the binding

  @Override
  public WsSession<O> session() {
    return this;
  }

  /** The upgrade completed: starts the heartbeat and runs {@code onOpen}, then reads. */
  @Override
  public void open(Transport transport) {
    if (!life.open()) {
      transport.abort(); // the binding reported the end first: nothing to open
      return;
    }
    this.transport = transport;
    lastReadNanos = scheduler.nanoTime();
    pingTimer.repeat(this::sendHeartbeat, config.pingPeriod());
    timeoutTimer.schedule(this::timeoutTick, config.pongPeriod());
    LOG.debug("{} {}: open", listener.name(), id);
    callbacks.execute(this::deliverOpen);
  }

  /** A text message arrived. */
  @Override
  public void onText(String text) {
    lastReadNanos = scheduler.nanoTime();
    if (config.absorbPongs() && SharedJson.isPong(text)) {
      transport().demand();
      return;
    }
    // On a virtual transport thread with nothing pending, the handler runs right here and its
    // demand() lets the transport go on reading in place (no thread start, no selector wake-up).
    SerialExecutor.executeInline(callbacks, () -> deliverMessage(Message.text(text)));
  }

  /** A binary message arrived; {@code bytes} now belongs to the connection. */
  @Override
  public void onBinary(byte[] bytes) {
    lastReadNanos = scheduler.nanoTime();
    SerialExecutor.executeInline(callbacks, () -> deliverMessage(Message.binary(bytes)));
  }

  /** A protocol-level ping or pong arrived: liveness only. */
  @Override
  public void onControlFrame() {
    lastReadNanos = scheduler.nanoTime();
  }

  /** The transport failed; a {@link #onClosed} call follows. */
  @Override
  public void onTransportError(Throwable cause) {
    LOG.debug("{} {}: transport error", listener.name(), id, cause);
  }

  /**
   * The connection has ended: the close handshake finished (either side first), the peer dropped,
   * or the transport was aborted. {@code code} is the peer's or the transport's status.
   */
  @Override
  public void onClosed(int code, String reason) {
    life.end(life.localEndOr(CloseStatus.received(code, reason)));
  }

  // ---------------------------------------------------------------- WsSession

  @Override
  public Request request() {
    return request;
  }

  @Override
  public Optional<String> subprotocol() {
    return Optional.ofNullable(subprotocol);
  }

  @Override
  public String id() {
    return id;
  }

  @Override
  public Codec<?, O> codec() {
    return listener.codec();
  }

  @Override
  public boolean send(O message) {
    Codec<I, O> codec = listener.codec();
    if (message instanceof Message && codec != Codec.raw()) {
      throw new IllegalArgumentException(
          "send(O) encodes with the listener's codec; an encoded Message goes to"
              + " sendMessage(Message): "
              + message);
    }
    return life.isOpen() && sendMessage(codec.encode(message));
  }

  @Override
  public boolean sendMessage(Message frame) {
    return life.send(frame, frame.size(), config.slowConsumerPolicy());
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
  public boolean close(CloseStatus status) {
    if (!life.close(status)) {
      return false;
    }
    LOG.debug("{} {}: closing with {}", listener.name(), id, status);
    life.queue().offerLast(status); // never dropped nor counted; later offers are refused
    closeTimer.schedule(this::abort, config.closeTimeout());
    return true;
  }

  @Override
  public void abort() {
    abortWith(CloseStatus.received(CloseStatus.ABNORMAL, "aborted"));
  }

  @Override
  public CompletionStage<CloseStatus> closeFuture() {
    return life.closeFuture();
  }

  @Override
  public void whenClosed(Consumer<CloseStatus> onClosed) {
    Objects.requireNonNull(onClosed, "onClosed");
    life.whenClosed(onClosed);
  }

  /** The configuration this connection runs with. */
  public WsConfig config() {
    return config;
  }

  // ---------------------------------------------------------------- calls into user code

  private void deliverOpen() {
    try {
      listener.onOpen(this);
    } catch (Throwable e) {
      LOG.debug("{} {}: onOpen failed", listener.name(), id, e);
      close(statusFor(e));
    }
    demandIfNotClosed();
  }

  private void deliverMessage(Message frame) {
    if (life.isOpen()) {
      try {
        listener.onMessage(this, listener.codec().decode(frame));
      } catch (Throwable e) {
        deliverError(e);
      }
    }
    demandIfNotClosed();
  }

  private void deliverError(Throwable error) {
    ErrorAction action;
    try {
      action = listener.onError(this, error);
    } catch (Throwable e) {
      LOG.warn("{} {}: onError threw", listener.name(), id, e);
      action = ErrorAction.CLOSE;
    }
    if (action == ErrorAction.CLOSE) {
      CloseStatus status = statusFor(error);
      if (status.code() == CloseStatus.INTERNAL_ERROR) {
        LOG.warn("{} {}: closing after error", listener.name(), id, error);
      }
      close(status);
    }
  }

  /** Whether the application wants the silent connection closed. */
  private boolean deliverTimeout() {
    try {
      return listener.onTimeout(this);
    } catch (Throwable e) {
      LOG.warn("{} {}: onTimeout threw", listener.name(), id, e);
      return true;
    }
  }

  private void deliverClose(CloseStatus status) {
    try {
      listener.onClose(this, status);
    } catch (Throwable e) {
      LOG.warn("{} {}: onClose threw", listener.name(), id, e);
    }
  }

  private void sendHeartbeat() {
    try {
      listener.onHeartbeat(this, pingId.incrementAndGet());
    } catch (Throwable e) {
      LOG.warn("{} {}: onHeartbeat threw", listener.name(), id, e);
    }
  }

  // ---------------------------------------------------------------- internals

  private static CloseStatus statusFor(Throwable error) {
    if (error instanceof CloseException ce) {
      return ce.status();
    }
    // The exception text may hold internals; the peer gets a generic reason, the log the detail.
    return CloseStatus.of(CloseStatus.INTERNAL_ERROR, "internal error");
  }

  private void demandIfNotClosed() {
    if (life.state() != Lifecycle.State.CLOSED) {
      transport().demand();
    }
  }

  /** The transport given to {@link #open}: everything that writes or reads runs after it. */
  private Transport transport() {
    Transport t = transport;
    if (t == null) {
      throw new IllegalStateException("connection " + id + " is not open");
    }
    return t;
  }

  /** Drops the transport at once; the first local end is the status reported. */
  private void abortWith(CloseStatus status) {
    // A transport reports the end itself; the shell's end covers one that never does.
    life.abort(
        status,
        () -> {
          Transport t = transport;
          if (t != null) { // null only if open() has not stored it yet: nothing to drop then
            t.abort();
          }
        });
  }

  /**
   * Ends the connection after a failure: nothing more can be written in order, so the close frame
   * goes out ahead of the queue, which is dropped; CLOSED follows the peer's close or the timer.
   */
  private void failWith(CloseStatus status) {
    if (!life.beginFail(status)) {
      return;
    }
    try {
      transport()
          .sendClose(
              status.code(),
              status.reason(),
              new Transport.WriteCallback() {
                @Override
                public void succeeded() {}

                @Override
                public void failed(Throwable cause) {
                  abort();
                }
              });
    } catch (RuntimeException e) {
      abort();
    }
    closeTimer.scheduleOnce(this::abort, config.closeTimeout());
  }

  private void timeoutTick() {
    if (!life.isOpen()) {
      return;
    }
    long pong = config.pongPeriod().toNanos();
    long silent = scheduler.nanoTime() - lastReadNanos;
    if (silent < pong) {
      // Activity since the check was armed: re-arm for the new deadline, not a full period.
      timeoutTimer.schedule(this::timeoutTick, Duration.ofNanos(pong - silent));
      return;
    }
    callbacks.execute(
        () -> {
          if (!life.isOpen()) {
            return;
          }
          if (deliverTimeout()) {
            long seconds = config.pongPeriod().toSeconds();
            close(
                CloseStatus.of(
                    CloseStatus.GOING_AWAY,
                    "heartbeat timeout: nothing received for "
                        + (seconds > 0 ? seconds + "s" : config.pongPeriod().toMillis() + "ms")));
          } else if (life.isOpen()) {
            // Kept alive by the application: look again one full period from now.
            lastReadNanos = scheduler.nanoTime();
            timeoutTimer.schedule(this::timeoutTick, config.pongPeriod());
          }
        });
  }

  @Override
  public String toString() {
    return "WsConnection[" + listener.name() + " " + id + " " + life.state() + "]";
  }
}
