package io.servicekit;

/**
 * The lifecycle of one bidirectional stream connection, as seen by the application.
 *
 * <h2>States and guarantees</h2>
 *
 * <pre>
 *   validate ──▶ onStart ──▶ handleMessage* ──▶ onClose (exactly once)
 *                   │             │  ▲
 *                   │             ▼  │
 *                   │          onError / onTimeout
 *                   └──(throws)──────────────▶ onClose
 * </pre>
 *
 * <ul>
 *   <li>Callbacks of one connection ({@code onStart}, {@code handleMessage}, {@code onError},
 *       {@code onTimeout}, {@code onClose}) are never concurrent and arrive in order. They run on
 *       virtual threads and may block without stalling other connections or the heartbeat.
 *   <li>{@code onClose} runs exactly once, whatever ends the connection (peer close frame of any
 *       code, TCP drop, server close, timeout, slow consumer, write failure), after the last other
 *       callback.
 *   <li>{@link #sendPing()} runs on the scheduler, independent of the other callbacks; it must not
 *       block.
 * </ul>
 *
 * @param <I> the type of decoded incoming messages
 */
public interface BiDirStreamConn<I> {
  /** A human-readable name of the connection type, for logs. */
  String name();

  /** The connection's id: unique and, by default, unguessable (128 random bits). */
  String connId();

  /**
   * Handles one decoded message. An exception reaches {@link #onError(Throwable)}; throw a {@link
   * CloseException} to choose the close status.
   */
  void handleMessage(I message) throws Exception;

  /**
   * Called for a decode failure or an exception from {@link #handleMessage}. Return {@link
   * ErrorAction#CONTINUE} to drop that message and keep reading, {@link ErrorAction#CLOSE} (the
   * default) to close with a code fitting the error: the {@link CloseException}'s status, 1007 or
   * 1003 for a {@link DecodeException}, 1011 for anything else.
   */
  default ErrorAction onError(Throwable error) {
    return ErrorAction.CLOSE;
  }

  /** Called once when the connection has ended, with the status that ended it. */
  default void onClose(CloseStatus status) {}

  /**
   * Called when nothing was received for the pong period. Return {@code true} (the default) to
   * close with 1001, {@code false} to keep the connection and wait another period.
   */
  default boolean onTimeout() {
    return true;
  }

  /** Sends a heartbeat; called every ping period. */
  void sendPing();
}
