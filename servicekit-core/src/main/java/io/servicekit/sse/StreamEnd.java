package io.servicekit.sse;

import java.util.Objects;

/**
 * Why an SSE stream ended, as passed to {@link SseListener#onClose}. An SSE stream has no close
 * handshake: the reason is what the server observed.
 *
 * @param reason the category
 * @param detail a human-readable explanation for logs (never sent to the client)
 */
public record StreamEnd(Reason reason, String detail) {
  /** The categories of stream ends. */
  public enum Reason {
    /** The application closed it ({@link SseSession#close()}, a hub's {@code closeAll}). */
    CLOSED,
    /** The client went away or the connection failed (including server shutdown). */
    DISCONNECTED,
    /** The outgoing queue went past its byte budget under {@code SlowConsumerPolicy.CLOSE}. */
    SLOW_CONSUMER,
    /** One write did not complete within the write timeout: the client stopped reading. */
    WRITE_TIMEOUT,
    /** {@link SseListener#onOpen} threw; the client got an error status instead of a stream. */
    START_FAILED,
    /** {@link SseSession#abort()} dropped it. */
    ABORTED
  }

  public StreamEnd {
    Objects.requireNonNull(reason, "reason");
    detail = detail == null ? "" : detail;
  }

  static StreamEnd of(Reason reason, String detail) {
    return new StreamEnd(reason, detail);
  }
}
