package io.servicekit;

import io.servicekit.internal.SerialExecutor;
import io.servicekit.internal.WriteQueue;
import io.servicekit.internal.WriteWatchdog;
import io.servicekit.spi.Transport;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The state machine that drives one {@link WsListener} over a {@link Transport}: ordered callback
 * dispatch, heartbeat and timeout, the outgoing queue, and the close handshake. Server bindings
 * create one per upgraded connection and report the transport's events to it; applications see it
 * only as the {@link WsSession} passed to every listener callback.
 *
 * <p>States: {@code NEW → OPEN → CLOSING → CLOSED}. Any close frame from the peer, a transport
 * failure, {@link #close}, {@link #abort}, a heartbeat timeout, a slow consumer or a write timeout
 * moves it towards {@code CLOSED}; {@code onClose} runs once when it gets there.
 *
 * @param <I> the connection's decoded message type
 * @param <O> the connection's outgoing message type
 */
public final class WsConnection<I, O> implements WsSession<O> {
  private static final Logger LOG = LoggerFactory.getLogger(WsConnection.class);

  private enum State {
    NEW,
    OPEN,
    CLOSING,
    CLOSED
  }

  private final WsListener<I, O> listener;
  private final String id = Ids.random();
  private final AtomicLong pingId = new AtomicLong();
  private final List<Consumer<CloseStatus>> closeListeners =
      new ArrayList<>(2); // guarded by itself
  private CloseStatus finalStatus; // guarded by closeListeners; set once onClose has run
  private final WsConfig config;
  private final Request request;
  private final String subprotocol;
  private final Scheduler scheduler;
  private final Executor callbacks;
  private volatile State state = State.NEW;
  private static final VarHandle STATE;

  static {
    try {
      STATE = MethodHandles.lookup().findVarHandle(WsConnection.class, "state", State.class);
    } catch (ReflectiveOperationException e) {
      throw new ExceptionInInitializerError(e);
    }
  }

  private final AtomicBoolean finished = new AtomicBoolean();
  private final CompletableFuture<CloseStatus> closeFuture = new CompletableFuture<>();

  private volatile Transport transport;
  private volatile WriteQueue<Object> queue; // frames, then a CloseStatus as the last item
  private final WriteWatchdog watchdog;
  private volatile long lastReadNanos;
  private volatile CloseStatus localClose; // the status we closed with, if we closed first
  private volatile Scheduler.Cancellable pingTask;
  private volatile Scheduler.Cancellable timeoutTask;
  private volatile Scheduler.Cancellable closeTimer;

  /**
   * Creates the driver for {@code listener}; call {@link #open(Transport)} once the transport is
   * ready.
   */
  public WsConnection(
      WsListener<I, O> listener, WsConfig config, Request request, String subprotocol) {
    this.listener = Objects.requireNonNull(listener, "listener");
    this.config = config;
    this.request = request;
    this.subprotocol = subprotocol;
    this.scheduler = config.scheduler();
    this.callbacks = scheduler.serial("servicekit-conn-" + id);
    this.watchdog =
        new WriteWatchdog(
            scheduler,
            config.writeTimeout(),
            () -> {
              WriteQueue<Object> q = queue;
              return q == null ? -1 : q.inFlightSince();
            },
            () -> state == State.CLOSED,
            this::onWriteStuck);
  }

  // ---------------------------------------------------------------- events from the binding

  /** The write queue's sink: one frame, or the close frame (the queue's last item). */
  private static void write(Transport transport, Object item, Transport.WriteCallback callback) {
    switch (item) {
      case Message.Text t -> transport.sendText(t.text(), callback);
      case Message.Binary b -> transport.sendBinary(b.bytes(), callback);
      case CloseStatus s -> transport.sendClose(s.code(), s.reason(), callback);
      default -> throw new IllegalStateException("unexpected queue item " + item);
    }
  }

  /** The upgrade completed: starts the heartbeat and runs {@code onOpen}, then reads. */
  public void open(Transport transport) {
    if (!STATE.compareAndSet(this, State.NEW, State.OPEN)) {
      throw new IllegalStateException("open() called twice for " + id);
    }
    this.transport = transport;
    this.queue =
        new WriteQueue<>(
            (item, callback) -> write(transport, item, callback),
            scheduler,
            config.maxQueuedBytes(),
            WriteQueue.Listener.of(
                watchdog,
                cause -> {
                  LOG.debug("{} {}: write failed", listener.name(), id, cause);
                  // The transport is broken: no close frame can get out, so drop it now.
                  if (localClose == null) {
                    localClose = CloseStatus.of(CloseStatus.GOING_AWAY, "write failed: " + cause);
                  }
                  abort();
                }),
            false);
    lastReadNanos = scheduler.nanoTime();
    pingTask = scheduler.schedule(this::pingTick, config.pingPeriod());
    timeoutTask = scheduler.schedule(this::timeoutTick, config.pongPeriod());
    cancelIfFinished(pingTask);
    cancelIfFinished(timeoutTask);
    LOG.debug("{} {}: open", listener.name(), id);
    callbacks.execute(
        () -> {
          try {
            listener.onOpen(this);
          } catch (Throwable e) {
            LOG.debug("{} {}: onOpen failed", listener.name(), id, e);
            close(statusFor(e));
          }
          demandIfNotClosed();
        });
  }

  /** A text message arrived. */
  public void onText(String text) {
    lastReadNanos = scheduler.nanoTime();
    if (config.absorbPongs() && Json.isPong(text)) {
      transport.demand();
      return;
    }
    // On a virtual transport thread with nothing pending, the handler runs right here and its
    // demand() lets the transport go on reading in place (no thread start, no selector wake-up).
    SerialExecutor.executeInline(callbacks, () -> deliver(Message.text(text)));
  }

  /** A binary message arrived; {@code bytes} now belongs to the connection. */
  public void onBinary(byte[] bytes) {
    lastReadNanos = scheduler.nanoTime();
    SerialExecutor.executeInline(callbacks, () -> deliver(Message.binary(bytes)));
  }

  /** A protocol-level ping or pong arrived: liveness only. */
  public void onControlFrame() {
    lastReadNanos = scheduler.nanoTime();
  }

  /** The transport failed; a {@link #onClosed} call follows. */
  public void onTransportError(Throwable cause) {
    LOG.debug("{} {}: transport error", listener.name(), id, cause);
  }

  /**
   * The connection has ended: the close handshake finished (either side first), the peer dropped,
   * or the transport was aborted. {@code code} is the peer's or the transport's status.
   */
  public void onClosed(int code, String reason) {
    CloseStatus local = localClose;
    finish(local != null ? local : CloseStatus.received(code, reason));
  }

  // ---------------------------------------------------------------- WsSession

  @Override
  public String id() {
    return id;
  }

  @Override
  public Request request() {
    return request;
  }

  @Override
  public Optional<String> subprotocol() {
    return Optional.ofNullable(subprotocol);
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
    return state == State.OPEN && sendMessage(codec.encode(message));
  }

  @Override
  public boolean sendMessage(Message frame) {
    WriteQueue<Object> q = queue;
    if (q == null || state != State.OPEN) {
      return false;
    }
    return switch (q.offer(frame, frame.size(), config.slowConsumerPolicy())) {
      case QUEUED -> true;
      case DROPPED, CLOSED -> false;
      case OVERFLOW -> {
        LOG.debug("{} {}: slow consumer", listener.name(), id);
        failWith(
            CloseStatus.of(
                CloseStatus.POLICY_VIOLATION,
                "slow consumer: more than " + config.maxQueuedBytes() + " bytes queued"));
        yield false;
      }
    };
  }

  @Override
  public boolean isOpen() {
    return state == State.OPEN;
  }

  @Override
  public long queuedBytes() {
    WriteQueue<Object> q = queue;
    return q == null ? 0 : q.queuedBytes();
  }

  @Override
  public long droppedMessages() {
    WriteQueue<Object> q = queue;
    return q == null ? 0 : q.dropped();
  }

  @Override
  public boolean close(CloseStatus status) {
    if (!STATE.compareAndSet(this, State.OPEN, State.CLOSING)) {
      return false;
    }
    localClose = status;
    LOG.debug("{} {}: closing with {}", listener.name(), id, status);
    queue.offerLast(status); // never dropped nor counted; later offers are refused
    closeTimer = scheduler.schedule(this::abort, config.closeTimeout());
    cancelIfFinished(closeTimer); // the peer's close may have finished us meanwhile
    return true;
  }

  @Override
  public void abort() {
    State s = state;
    if (s == State.CLOSED || s == State.NEW) {
      return;
    }
    if (localClose == null) {
      localClose = CloseStatus.received(CloseStatus.ABNORMAL, "aborted");
    }
    state = State.CLOSING;
    queue.clear();
    transport.abort();
    // A transport reports the end itself; this covers one that never does.
    finish(localClose);
  }

  @Override
  public CompletionStage<CloseStatus> closeFuture() {
    return closeFuture.minimalCompletionStage();
  }

  @Override
  public void whenClosed(Consumer<CloseStatus> onClosed) {
    Objects.requireNonNull(onClosed, "onClosed");
    CloseStatus status;
    synchronized (closeListeners) {
      status = finalStatus;
      if (status == null) {
        closeListeners.add(onClosed);
        return;
      }
    }
    runCloseListener(onClosed, status);
  }

  private void runCloseListener(Consumer<CloseStatus> onClosed, CloseStatus status) {
    try {
      onClosed.accept(status);
    } catch (RuntimeException e) {
      LOG.warn("{} {}: close listener threw", listener.name(), id, e);
    }
  }

  /** The configuration this connection runs with. */
  public WsConfig config() {
    return config;
  }

  // ---------------------------------------------------------------- internals

  private void deliver(Message frame) {
    if (state == State.OPEN) {
      try {
        listener.onMessage(this, listener.codec().decode(frame));
      } catch (Throwable e) {
        handleError(e);
      }
    }
    demandIfNotClosed();
  }

  private void handleError(Throwable error) {
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

  private static CloseStatus statusFor(Throwable error) {
    if (error instanceof CloseException ce) {
      return ce.status();
    }
    // The exception text may hold internals; the peer gets a generic reason, the log the detail.
    return CloseStatus.of(CloseStatus.INTERNAL_ERROR, "internal error");
  }

  private void demandIfNotClosed() {
    if (state != State.CLOSED) {
      transport.demand();
    }
  }

  /** Ends the connection at once after a failure: nothing more can be written in order. */
  private void failWith(CloseStatus status) {
    State s = state;
    if (s == State.CLOSED || s == State.NEW) {
      return;
    }
    if (localClose == null) {
      localClose = status;
    }
    state = State.CLOSING;
    queue.clear();
    try {
      transport.sendClose(
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
    if (closeTimer == null) {
      closeTimer = scheduler.schedule(this::abort, config.closeTimeout());
      cancelIfFinished(closeTimer);
    }
  }

  private void finish(CloseStatus status) {
    if (!finished.compareAndSet(false, true)) {
      return;
    }
    state = State.CLOSED;
    // Nothing scheduled may keep a finished connection reachable: each task below holds it. A tick
    // that re-arms concurrently sees CLOSED after storing its handle and cancels it itself.
    cancel(pingTask);
    cancel(timeoutTask);
    cancel(closeTimer);
    watchdog.stop();
    WriteQueue<Object> q = queue;
    if (q != null) {
      q.clear();
    }
    LOG.debug("{} {}: closed with {}", listener.name(), id, status);
    callbacks.execute(
        () -> {
          try {
            listener.onClose(this, status);
          } catch (Throwable e) {
            LOG.warn("{} {}: onClose threw", listener.name(), id, e);
          } finally {
            List<Consumer<CloseStatus>> toRun;
            synchronized (closeListeners) {
              finalStatus = status;
              toRun = List.copyOf(closeListeners);
              closeListeners.clear();
            }
            for (Consumer<CloseStatus> l : toRun) {
              runCloseListener(l, status);
            }
            closeFuture.complete(status);
          }
        });
  }

  private static void cancel(Scheduler.Cancellable task) {
    if (task != null) {
      task.cancel();
    }
  }

  /**
   * Cancels {@code task}, just stored in its field, if the connection has finished: {@link #finish}
   * sets CLOSED before it reads the fields, so one of the two sees the other (volatile accesses).
   */
  private void cancelIfFinished(Scheduler.Cancellable task) {
    if (state == State.CLOSED) {
      task.cancel();
    }
  }

  private void pingTick() {
    if (state != State.OPEN) {
      return;
    }
    try {
      listener.onHeartbeat(this, pingId.incrementAndGet());
    } catch (Throwable e) {
      LOG.warn("{} {}: onHeartbeat threw", listener.name(), id, e);
    }
    if (state == State.OPEN) {
      pingTask = scheduler.schedule(this::pingTick, config.pingPeriod());
      cancelIfFinished(pingTask);
    }
  }

  private void timeoutTick() {
    if (state != State.OPEN) {
      return;
    }
    long pong = config.pongPeriod().toNanos();
    long silent = scheduler.nanoTime() - lastReadNanos;
    if (silent < pong) {
      // Activity since the check was armed: re-arm for the new deadline, not a full period.
      timeoutTask = scheduler.schedule(this::timeoutTick, Duration.ofNanos(pong - silent));
      cancelIfFinished(timeoutTask);
      return;
    }
    callbacks.execute(
        () -> {
          if (state != State.OPEN) {
            return;
          }
          boolean closeIt;
          try {
            closeIt = listener.onTimeout(this);
          } catch (Throwable e) {
            LOG.warn("{} {}: onTimeout threw", listener.name(), id, e);
            closeIt = true;
          }
          if (closeIt) {
            long seconds = config.pongPeriod().toSeconds();
            close(
                CloseStatus.of(
                    CloseStatus.GOING_AWAY,
                    "heartbeat timeout: nothing received for "
                        + (seconds > 0 ? seconds + "s" : config.pongPeriod().toMillis() + "ms")));
          } else if (state == State.OPEN) {
            // Kept alive by the application: look again one full period from now.
            lastReadNanos = scheduler.nanoTime();
            timeoutTask = scheduler.schedule(this::timeoutTick, config.pongPeriod());
            cancelIfFinished(timeoutTask);
          }
        });
  }

  /** The write in flight made no progress for the write timeout. */
  private void onWriteStuck() {
    LOG.debug("{} {}: write timeout", listener.name(), id);
    if (localClose == null) {
      localClose =
          CloseStatus.of(
              CloseStatus.POLICY_VIOLATION,
              "write timeout: peer read nothing for " + config.writeTimeout().toMillis() + "ms");
    }
    abort(); // a stuck write means a close frame could not get out either
  }

  @Override
  public String toString() {
    return "WsConnection[" + listener.name() + " " + id + " " + state + "]";
  }
}
