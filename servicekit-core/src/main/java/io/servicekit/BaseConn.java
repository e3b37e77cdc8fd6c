package io.servicekit;

import io.servicekit.internal.Ids;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The embeddable default {@link WsConn}: a codec, a name, an unguessable id, the JSON heartbeat and
 * non-blocking typed sends. Extend it and override {@link #handleMessage} (and any other hook).
 *
 * <pre>{@code
 * class EchoConn extends BaseConn<Object, Object> {
 *   EchoConn() { super(JsonCodec.INSTANCE, "EchoConn"); }
 *
 *   @Override public void handleMessage(Object msg) { sendOutput(msg); }
 * }
 * }</pre>
 *
 * <p>Wire formats, kept from the Go library so its clients keep working: data messages are the
 * codec's bytes as they are; the heartbeat is the text frame {@code
 * {"connId":"...","name":"...","pingId":n,"type":"ping"}} (ping ids start at 1); errors are {@code
 * {"error":"...","type":"error"}}. Both envelopes bypass the codec.
 *
 * <p>Thread-safety: the send methods may be called from any thread, never block, and return {@code
 * false} when the message was not queued (not started yet, closing, closed, or refused by the
 * slow-consumer policy). The connection is attached before {@link #onStart} runs, so an override
 * need not call {@code super.onStart}.
 *
 * @param <I> the incoming message type
 * @param <O> the outgoing message type
 */
public class BaseConn<I, O> implements WsConn<I> {
  private static final Logger LOG = LoggerFactory.getLogger(BaseConn.class);

  private final Codec<I, O> codec;
  private final String name;
  private final String connId;
  private final AtomicLong pingId = new AtomicLong();
  private final CompletableFuture<CloseStatus> closed = new CompletableFuture<>();
  private final ReentrantLock closeLock = new ReentrantLock();
  private final List<Consumer<CloseStatus>> closeListeners = new ArrayList<>(2); // closeLock
  private CloseStatus finalStatus; // guarded by closeLock
  private volatile WsSession session;

  /** A connection named {@code "BaseConn"} with a random id. */
  public BaseConn(Codec<I, O> codec) {
    this(codec, "BaseConn");
  }

  /** A connection with {@code name} and a random id. */
  public BaseConn(Codec<I, O> codec, String name) {
    this(codec, name, Ids.random());
  }

  /** A connection with {@code name} and an id of your choosing (it must be unique). */
  public BaseConn(Codec<I, O> codec, String name, String connId) {
    this.codec = Objects.requireNonNull(codec, "codec");
    this.name = Objects.requireNonNull(name, "name");
    this.connId = Objects.requireNonNull(connId, "connId");
  }

  final void attach(WsSession session) {
    this.session = session;
    session.closeFuture().whenComplete((status, e) -> closed(status));
  }

  private void closed(CloseStatus status) {
    List<Consumer<CloseStatus>> listeners;
    closeLock.lock();
    try {
      finalStatus = status;
      listeners = List.copyOf(closeListeners);
      closeListeners.clear();
    } finally {
      closeLock.unlock();
    }
    for (Consumer<CloseStatus> listener : listeners) {
      runListener(listener, status);
    }
    closed.complete(status);
  }

  /**
   * Runs {@code listener} once the connection has ended, after {@code onClose} and before {@link
   * #closeFuture()} completes; at once if it has already ended. Hubs use it to drop members, so
   * that a closed connection is never a member when its close future completes.
   */
  public final void whenClosed(Consumer<CloseStatus> listener) {
    CloseStatus status;
    closeLock.lock();
    try {
      status = finalStatus;
      if (status == null) {
        closeListeners.add(listener);
        return;
      }
    } finally {
      closeLock.unlock();
    }
    runListener(listener, status);
  }

  private void runListener(Consumer<CloseStatus> listener, CloseStatus status) {
    try {
      listener.accept(status);
    } catch (RuntimeException e) {
      LOG.warn("{} {}: close listener threw", name, connId, e);
    }
  }

  /** The codec used by {@link #decode} and {@link #sendOutput}. */
  public final Codec<I, O> codec() {
    return codec;
  }

  @Override
  public String name() {
    return name;
  }

  @Override
  public String connId() {
    return connId;
  }

  /** The id of the last heartbeat sent (0 before the first). */
  public final long pingId() {
    return pingId.get();
  }

  /** The transport handle, once the connection has started. */
  public final Optional<WsSession> session() {
    return Optional.ofNullable(session);
  }

  /** Completes with the final status after {@code onClose} has run. */
  public final CompletionStage<CloseStatus> closeFuture() {
    return closed.minimalCompletionStage();
  }

  /** Records the session; overrides need not call it (the session is attached before). */
  @Override
  public void onStart(WsSession session) throws Exception {
    LOG.debug("starting {} connection {}", name, connId);
  }

  @Override
  public I decode(Message frame) throws DecodeException {
    return codec.decode(frame);
  }

  /** Default: logs the message at debug level. */
  @Override
  public void handleMessage(I message) throws Exception {
    LOG.debug("{} {} received a message", name, connId);
  }

  /**
   * Default: a {@link MessageRejectedException} is answered with the error envelope and reading
   * continues; anything else closes the connection with a code fitting the error.
   */
  @Override
  public ErrorAction onError(Throwable error) {
    if (error instanceof MessageRejectedException rejected) {
      sendError(rejected.getMessage());
      return ErrorAction.CONTINUE;
    }
    return ErrorAction.CLOSE;
  }

  /** Sends the JSON heartbeat with the next ping id. */
  @Override
  public void sendPing() {
    long id = pingId.incrementAndGet();
    WsSession s = session;
    if (s != null) {
      s.send(Message.text(Json.ping(connId, name, id)));
    }
  }

  /**
   * Encodes {@code message} with the codec and queues it.
   *
   * @return whether it was queued
   * @throws EncodeException if the codec cannot encode it (nothing is queued)
   */
  public boolean sendOutput(O message) {
    WsSession s = session;
    return s != null && s.isOpen() && s.send(codec.encode(message));
  }

  /** Queues an already encoded frame (e.g. one encoded once for a broadcast). */
  public boolean sendFrame(Message frame) {
    WsSession s = session;
    return s != null && s.send(frame);
  }

  /** Queues the error envelope {@code {"error":"<message>","type":"error"}}. */
  public boolean sendError(String message) {
    return sendFrame(Message.text(Json.error(message)));
  }

  /** Queues the error envelope with {@code error}'s message. */
  public boolean sendError(Throwable error) {
    return sendError(error.getMessage() == null ? error.toString() : error.getMessage());
  }

  /** Closes gracefully with {@code code} and {@code reason}; see {@link WsSession#close}. */
  public boolean close(int code, String reason) {
    WsSession s = session;
    return s != null && s.close(code, reason);
  }

  /** Whether the connection is started and open for sending. */
  public boolean isOpen() {
    WsSession s = session;
    return s != null && s.isOpen();
  }

  /** Bytes queued and not yet written. */
  public long queuedBytes() {
    WsSession s = session;
    return s == null ? 0 : s.queuedBytes();
  }

  @Override
  public String toString() {
    return name + "[" + connId + "]";
  }
}
