package io.servicekit.sse;

import io.servicekit.EncodeException;
import io.servicekit.Request;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletionStage;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;

/**
 * One open Server-Sent Events stream, as the application sees it: handed to {@link
 * SseListener#onOpen} and {@link SseListener#onClose}, held by an {@link SseHub}. The stream's
 * driver provides it; applications do not implement it. All methods are thread-safe and none of
 * them blocks.
 *
 * <p>Everything sent goes through one bounded queue per stream, written by a single writer in
 * order; the send methods return at once: {@code true} when queued, {@code false} when the stream
 * is closing or closed, or when the {@link io.servicekit.SlowConsumerPolicy} refused it. Typed
 * sends encode with the listener's {@link SseListener#codec() codec}.
 *
 * <p>On an endpoint with {@link SseConfig.Builder#resumable resumption}, the send methods (except
 * {@link #sendDirect}) publish to the session's stream: the event gets an id (unless it has one),
 * is stored, and reaches every live session of that stream.
 *
 * @param <O> the outgoing message type
 */
public sealed interface SseSession<O> permits io.servicekit.internal.driver.SseConnection {
  /** The session's id: unique and unguessable. */
  String id();

  /** The request that opened the stream. */
  Request request();

  /** The {@code Last-Event-ID} the client sent (on a reconnect), if any. */
  Optional<String> lastEventId();

  /** The resumable stream this session belongs to; empty if resumption is off. */
  Optional<String> streamId();

  /**
   * Sends {@code message} as a plain data event (clients see type {@code message}).
   *
   * @throws EncodeException if the codec cannot encode it (nothing is queued)
   */
  boolean send(O message);

  /**
   * Sends {@code message} as an event named {@code event} (clients listen with {@code
   * addEventListener(event, ...)}).
   *
   * @throws IllegalArgumentException if {@code event} contains CR, LF or NUL
   */
  boolean sendEvent(String event, O message);

  /**
   * Sends {@code message} as an event named {@code event} (null for none) with id {@code id}, which
   * the client will send back as {@code Last-Event-ID} when it reconnects.
   *
   * @throws IllegalArgumentException if {@code event} or {@code id} contains CR, LF or NUL
   */
  boolean sendEventWithId(@Nullable String event, @Nullable String id, O message);

  /**
   * Sends {@code event} (already encoded): to this session, or, with resumption, to its stream
   * (stored, with an id assigned if it has none). Returns whether it was queued (with resumption:
   * stored).
   */
  boolean send(SseEvent event);

  /** Queues {@code event} for this session only: never stored, no id assigned. */
  boolean sendDirect(SseEvent event);

  /** Queues a comment ({@code ": text"}), which clients ignore; multi-line text is split. */
  boolean sendComment(String text);

  /**
   * Queues a bare {@code retry:} hint telling the client how long to wait before reconnecting.
   *
   * @throws IllegalArgumentException if {@code retry} is under 1 ms
   */
  boolean sendRetry(Duration retry);

  /** Whether the stream is open for sending (not closing, not closed). */
  boolean isOpen();

  /** Bytes queued and not yet written, including the write in flight. */
  long queuedBytes();

  /** Events discarded by {@code DROP_OLDEST} or {@code DROP_NEWEST}. */
  long droppedMessages();

  /**
   * Ends the stream gracefully: what is queued is written, then the response ends. The client (a
   * browser's {@code EventSource}) will reconnect after its retry delay unless told otherwise.
   * Returns {@code false} if already closing or closed.
   */
  boolean close();

  /** Drops the connection at once; queued events are discarded. */
  void abort();

  /**
   * Completes with the final status once the stream has ended, {@code onClose} has run and every
   * {@link #whenClosed} action has run.
   */
  CompletionStage<StreamEnd> closeFuture();

  /**
   * Runs {@code action} once with the final status after the stream has ended, after {@code
   * onClose} and before {@link #closeFuture()} completes (at once, on the calling thread, if it
   * already has). Hubs use it to drop members. Actions run in registration order; one that throws
   * is logged and does not stop the others.
   */
  void whenClosed(Consumer<StreamEnd> action);
}
