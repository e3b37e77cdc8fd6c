package io.servicekit;

import java.util.Optional;
import java.util.concurrent.CompletionStage;

/**
 * The transport side of one open WebSocket connection, handed to {@link WsConn#onStart}. All
 * methods are thread-safe and none of them blocks.
 *
 * <p>Outgoing frames go through one bounded queue per connection, written by a single writer in
 * order. {@link #send(Message)} returns at once: {@code true} when the frame was queued, {@code
 * false} when the connection is closing or closed, or when the {@link SlowConsumerPolicy} refused
 * it.
 */
public interface WsSession {
  /** The upgrade request that opened this connection. */
  Request request();

  /** The subprotocol agreed in the handshake, if any. */
  Optional<String> subprotocol();

  /** Queues a data frame; never blocks. */
  boolean send(Message frame);

  /** Whether the connection is open for sending (not closing, not closed). */
  boolean isOpen();

  /** Bytes queued and not yet written, including the frame being written. */
  long queuedBytes();

  /** Messages discarded by {@link SlowConsumerPolicy#DROP_OLDEST} or {@code DROP_NEWEST}. */
  long droppedMessages();

  /**
   * Closes gracefully: frames already queued are written, then a close frame with {@code status};
   * if the peer does not answer within the close timeout the connection is dropped. Returns {@code
   * false} if the connection was already closing or closed.
   */
  boolean close(CloseStatus status);

  /**
   * {@link #close(CloseStatus)} with a code and reason, validated as for {@link CloseStatus#of}.
   */
  default boolean close(int code, String reason) {
    return close(CloseStatus.of(code, reason));
  }

  /** Drops the connection at once, without a close frame; queued frames are discarded. */
  void abort();

  /** Completes with the final status once the connection has ended and {@code onClose} has run. */
  CompletionStage<CloseStatus> closeFuture();
}
