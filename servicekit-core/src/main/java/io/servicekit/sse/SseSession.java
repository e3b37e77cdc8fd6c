package io.servicekit.sse;

import io.servicekit.Request;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletionStage;

/**
 * The transport side of one open Server-Sent Events stream, handed to {@link SseConn#onStart}. All
 * methods are thread-safe and none of them blocks.
 *
 * <p>Everything sent goes through one bounded queue per stream, written by a single writer in
 * order; the send methods return at once: {@code true} when queued, {@code false} when the stream
 * is closing or closed, or when the {@link io.servicekit.SlowConsumerPolicy} refused it.
 *
 * <p>On an endpoint with {@link SseConfig.Builder#resumable resumption}, {@link #send} publishes to
 * the connection's stream: the event gets an id (unless it has one), is stored, and reaches every
 * live connection of that stream. {@link #sendDirect} bypasses this.
 */
public interface SseSession {
  /** The request that opened the stream. */
  Request request();

  /** The {@code Last-Event-ID} the client sent (on a reconnect), if any. */
  Optional<String> lastEventId();

  /** The resumable stream this connection belongs to; empty if resumption is off. */
  Optional<String> streamId();

  /**
   * Sends {@code event}: to this connection, or, with resumption, to its stream (stored, with an id
   * assigned if it has none). Returns whether it was queued (with resumption: stored).
   */
  boolean send(SseEvent event);

  /** Queues {@code event} for this connection only: never stored, no id assigned. */
  boolean sendDirect(SseEvent event);

  /** Queues a comment ({@code ": text"}), which clients ignore; multi-line text is split. */
  boolean sendComment(String text);

  /** Queues a bare {@code retry:} hint telling the client how long to wait before reconnecting. */
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

  /** Completes with the final status once the stream has ended and {@code onClose} has run. */
  CompletionStage<StreamEnd> closeFuture();
}
