package io.servicekit.sse;

import io.servicekit.Codec;
import java.util.Optional;

/**
 * A Server-Sent Events connection object: the write-only counterpart of a WebSocket connection.
 * Most applications extend {@link BaseSseConn} rather than implementing this directly.
 *
 * <h2>Lifecycle</h2>
 *
 * <pre>
 *   validate ──▶ onStart ──▶ (events are written) ──▶ onClose (exactly once)
 *                   └──(throws: error status, no stream)──▶ onClose
 * </pre>
 *
 * <ul>
 *   <li>{@code validate} ({@link SseHandler}) runs before anything is sent and can refuse with a
 *       status.
 *   <li>{@code onStart} and {@code onClose} run on a virtual thread, never concurrently, {@code
 *       onClose} after {@code onStart} returned. Events sent during {@code onStart} are written
 *       once it returns; if it throws, the client gets an error status instead of a stream.
 *   <li>{@code onClose} runs exactly once, whatever ends the stream: the client going away, {@link
 *       SseSession#close()}, a hub's {@code closeAll}, a slow consumer, a write timeout.
 * </ul>
 *
 * @param <O> the outgoing message type
 */
public interface SseConn<O> {
  /** A human-readable name of the connection type, for logs. */
  String name();

  /** The connection's id: unique and, by default, unguessable. */
  String connId();

  /** The codec that encodes messages to event data (only {@code encode} is used). */
  Codec<?, O> codec();

  /**
   * Called once when the stream starts, before anything is written.
   *
   * @param session the transport handle
   * @throws Exception to refuse the stream: the client gets 500, or the {@link
   *     io.servicekit.Rejection}'s status
   */
  void onStart(SseSession session) throws Exception;

  /** Called once when the stream has ended. */
  default void onClose(StreamEnd status) {}

  /** The session, once started (a hub uses it to send). */
  Optional<SseSession> session();
}
