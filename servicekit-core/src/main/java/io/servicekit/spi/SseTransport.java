package io.servicekit.spi;

import java.util.Map;

/**
 * What a server binding provides to drive one Server-Sent Events response. The core calls {@link
 * #write} and {@link #end} from one writer at a time, one write in flight at a time, and never from
 * inside a lock.
 *
 * <p>The binding sets the status and the SSE headers before handing the transport over; the first
 * {@link #write} commits them. Until then, {@link #reject} may still replace the stream with an
 * error response.
 */
public interface SseTransport {
  /** Writes and flushes {@code bytes} (possibly empty, which only commits the headers). */
  void write(byte[] bytes, Transport.WriteCallback callback);

  /** Ends the response normally after what was written; the client sees the end of the stream. */
  void end(Transport.WriteCallback callback);

  /**
   * Answers with {@code status}, {@code headers} and a plain-text {@code body} instead of the
   * stream. Only valid before the first {@link #write}; afterwards the binding aborts instead.
   */
  void reject(int status, String body, Map<String, String> headers);

  /** Drops the response (and the connection under it) at once. Idempotent. */
  void abort(Throwable cause);
}
