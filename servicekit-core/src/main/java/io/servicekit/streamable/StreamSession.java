package io.servicekit.streamable;

import io.servicekit.Request;
import io.servicekit.sse.SseEvent;
import java.time.Duration;

/**
 * Where a {@link StreamResponse.Producer} writes its events. Sends block while the stream's queue
 * is full ({@link StreamableConfig#queueCapacity()} events or {@link
 * StreamableConfig#maxQueuedBytes()} bytes unwritten): backpressure from the client's reading speed
 * reaches the producer. An event bigger than the byte budget is accepted when the queue is empty.
 *
 * <p>Once the stream has ended — the client went away, a write failed or timed out, or {@link
 * #close()} was called — every send throws {@link StreamClosedException}, including sends that were
 * blocked waiting for room. When the client goes away the producer's thread is also interrupted, so
 * a producer blocked elsewhere (say on its own queue) wakes up too.
 *
 * <p>Thread-safe; events from concurrent senders are written whole, in the order they got room.
 */
public interface StreamSession {
  /** The stream's id: unique and unguessable, for logs and for registries of the application's. */
  String id();

  /** The request this stream answers. */
  Request request();

  /**
   * Queues {@code event}, waiting for room.
   *
   * @throws StreamClosedException if the stream has ended (also while waiting)
   * @throws InterruptedException if the calling thread is interrupted while waiting
   */
  void send(SseEvent event) throws InterruptedException;

  /**
   * Queues an event with an optional name and id (null or empty for none) and {@code data}.
   *
   * @throws IllegalArgumentException if the name or id contains CR, LF or NUL
   */
  default void send(String event, String id, String data) throws InterruptedException {
    send(SseEvent.of(event, id, 0, data));
  }

  /** Queues a comment ({@code ": text"}), ignored by clients; waits for room like {@link #send}. */
  void comment(String text) throws InterruptedException;

  /** Queues a {@code retry:} hint (whole milliseconds, at least 1). */
  void retry(Duration retry) throws InterruptedException;

  /** Whether the stream still accepts events. */
  boolean isOpen();

  /**
   * Runs {@code action} exactly once when the stream ends for any reason (at once if it already
   * has). Actions run in registration order on a thread of ServiceKit's; they must not block long.
   */
  void whenClosed(Runnable action);

  /** The same as {@link #whenClosed}. */
  default void onClose(Runnable action) {
    whenClosed(action);
  }

  /**
   * Ends the stream after what is queued has been written; later sends throw. Idempotent. The
   * stream also ends this way when the producer returns.
   */
  void close();
}
