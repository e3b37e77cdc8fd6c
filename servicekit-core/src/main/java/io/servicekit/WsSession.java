package io.servicekit;

import java.util.Optional;
import java.util.concurrent.CompletionStage;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;

/**
 * One open WebSocket connection, as its {@link WsListener} and a {@link Hub} see it. The server
 * binding provides it for every connection; it is passed to every listener callback. All methods
 * are thread-safe and none of them blocks.
 *
 * <p>Outgoing messages go through one bounded queue per connection, written by a single writer in
 * order. The send methods return at once: {@code true} when the message was queued, {@code false}
 * when the connection is not open yet, closing or closed, or when the {@link SlowConsumerPolicy}
 * refused it.
 *
 * @param <O> the type of outgoing messages
 */
public interface WsSession<O> {
  /**
   * The connection's id: unique and unguessable (128 random bits); the heartbeat's {@code connId}.
   */
  String id();

  /** The upgrade request that opened this connection. */
  Request request();

  /** The subprotocol agreed in the handshake, if any. */
  Optional<String> subprotocol();

  /** The codec {@link #send(Object)} encodes with: the listener's. */
  Codec<?, O> codec();

  /**
   * Encodes {@code message} with the listener's codec and queues it.
   *
   * @throws EncodeException if the codec cannot encode it (nothing is queued)
   * @throws IllegalArgumentException if {@code message} is an encoded {@link Message} and the codec
   *     is not {@link Codec#raw()}: send those with {@link #sendMessage(Message)}
   */
  boolean send(O message);

  /** Queues an already encoded message (e.g. one encoded once for a broadcast), as it is. */
  boolean sendMessage(Message message);

  /** Queues the error envelope {@code {"error":"<message>","type":"error"}} (null: empty text). */
  default boolean sendError(@Nullable String message) {
    return sendMessage(Message.text(Json.error(message)));
  }

  /** Queues the error envelope with {@code error}'s message (its class name if it has none). */
  default boolean sendError(Throwable error) {
    return sendError(error.getMessage() == null ? error.toString() : error.getMessage());
  }

  /** Whether the connection is open for sending (not closing, not closed). */
  boolean isOpen();

  /** Bytes queued and not yet written, including the message being written. */
  long queuedBytes();

  /** Messages discarded by {@link SlowConsumerPolicy#DROP_OLDEST} or {@code DROP_NEWEST}. */
  long droppedMessages();

  /**
   * Closes gracefully: messages already queued are written, then a close frame with {@code status};
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

  /** Drops the connection at once, without a close frame; queued messages are discarded. */
  void abort();

  /**
   * Completes with the final status once the connection has ended, {@code onClose} has run and
   * every {@link #whenClosed} listener has run.
   */
  CompletionStage<CloseStatus> closeFuture();

  /**
   * Runs {@code listener} once the connection has ended, after {@code onClose} and before {@link
   * #closeFuture()} completes; at once (on the calling thread) if it has already ended. Hubs use it
   * to drop members, so that a closed connection is never a member when its close future completes.
   * A listener that throws is logged and does not stop the others.
   */
  void whenClosed(Consumer<CloseStatus> listener);
}
