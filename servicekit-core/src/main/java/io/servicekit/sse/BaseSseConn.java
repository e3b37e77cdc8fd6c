package io.servicekit.sse;

import io.servicekit.Codec;
import io.servicekit.EncodeException;
import io.servicekit.internal.Ids;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The embeddable default {@link SseConn}: a codec, a name, an unguessable id and non-blocking typed
 * sends — the Go library's {@code BaseSSEConn}. Use it as it is or extend it and override {@link
 * #onStart} / {@link #onClose}.
 *
 * <pre>{@code
 * SseHandler<BaseSseConn<Object>> handler =
 *     request -> new BaseSseConn<>(JsonCodec.INSTANCE, "MySse");
 * }</pre>
 *
 * <p>Thread-safety: the send methods may be called from any thread, never block, and return {@code
 * false} when nothing was queued (not started yet, closing, closed, or refused by the slow-consumer
 * policy). The session is attached before {@link #onStart} runs, so an override need not call
 * {@code super.onStart} and may send (or register with a hub) at once.
 *
 * @param <O> the outgoing message type
 */
public class BaseSseConn<O> implements SseConn<O> {
  private static final Logger LOG = LoggerFactory.getLogger(BaseSseConn.class);

  private final Codec<?, O> codec;
  private final String name;
  private final String connId;
  private final CompletableFuture<StreamEnd> closed = new CompletableFuture<>();
  private volatile SseSession session;

  /** A connection named {@code "SseConn"} with a random id. */
  public BaseSseConn(Codec<?, O> codec) {
    this(codec, "SseConn");
  }

  /** A connection named {@code name} with a random id. */
  public BaseSseConn(Codec<?, O> codec, String name) {
    this(codec, name, Ids.random());
  }

  /** A connection with {@code name} and an id of your choosing (it must be unique). */
  public BaseSseConn(Codec<?, O> codec, String name, String connId) {
    this.codec = Objects.requireNonNull(codec, "codec");
    this.name = Objects.requireNonNull(name, "name");
    this.connId = Objects.requireNonNull(connId, "connId");
  }

  final void attach(SseSession session) {
    this.session = session;
    session.closeFuture().whenComplete((status, e) -> closed.complete(status));
  }

  @Override
  public final Codec<?, O> codec() {
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

  @Override
  public final Optional<SseSession> session() {
    return Optional.ofNullable(session);
  }

  /** Completes with the final status after {@code onClose} has run. */
  public final CompletionStage<StreamEnd> closeFuture() {
    return closed.minimalCompletionStage();
  }

  /** Default: logs at debug level. */
  @Override
  public void onStart(SseSession session) throws Exception {
    LOG.debug("starting {} SSE connection {}", name, connId);
  }

  /** Default: logs at debug level. */
  @Override
  public void onClose(StreamEnd status) {
    LOG.debug("closed {} SSE connection {}: {}", name, connId, status);
  }

  /**
   * Sends {@code message} as a plain data event (clients see type {@code message}).
   *
   * @throws EncodeException if the codec cannot encode it (nothing is queued)
   */
  public boolean sendOutput(O message) {
    return sendEventWithId(null, null, message);
  }

  /**
   * Sends {@code message} as an event named {@code event} (clients listen with {@code
   * addEventListener(event, ...)}).
   *
   * @throws IllegalArgumentException if {@code event} contains CR, LF or NUL
   */
  public boolean sendEvent(String event, O message) {
    return sendEventWithId(event, null, message);
  }

  /**
   * Sends {@code message} as an event named {@code event} with id {@code id}, which the client will
   * send back as {@code Last-Event-ID} when it reconnects.
   *
   * @throws IllegalArgumentException if {@code event} or {@code id} contains CR, LF or NUL
   */
  public boolean sendEventWithId(String event, String id, O message) {
    SseSession s = session;
    if (s == null || !s.isOpen()) {
      return false;
    }
    return s.send(SseEvent.encode(codec, event, id, message));
  }

  /** Sends an event built by hand (already encoded data). */
  public boolean send(SseEvent event) {
    SseSession s = session;
    return s != null && s.send(event);
  }

  /** Queues a comment line, ignored by clients. */
  public boolean sendComment(String text) {
    SseSession s = session;
    return s != null && s.sendComment(text);
  }

  /** Queues the {@code ": keepalive"} comment (also sent automatically every keepalive period). */
  public boolean sendKeepalive() {
    return sendComment("keepalive");
  }

  /**
   * Queues a bare {@code retry:} hint.
   *
   * @throws IllegalArgumentException if {@code millis} is not positive
   */
  public boolean sendRetry(long millis) {
    if (millis <= 0) {
      throw new IllegalArgumentException("SSE retry must be a positive number of ms: " + millis);
    }
    SseSession s = session;
    return s != null && s.sendRetry(Duration.ofMillis(millis));
  }

  /** Ends the stream gracefully after what is queued; see {@link SseSession#close()}. */
  public boolean close() {
    SseSession s = session;
    return s != null && s.close();
  }

  /** Whether the stream has started and is open for sending. */
  public boolean isOpen() {
    SseSession s = session;
    return s != null && s.isOpen();
  }

  /** Bytes queued and not yet written. */
  public long queuedBytes() {
    SseSession s = session;
    return s == null ? 0 : s.queuedBytes();
  }

  @Override
  public String toString() {
    return name + "[" + connId + "]";
  }
}
