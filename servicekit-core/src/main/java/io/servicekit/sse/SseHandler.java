package io.servicekit.sse;

import io.servicekit.Rejection;
import io.servicekit.Request;

/**
 * Validates a Server-Sent Events request and creates its connection object. Runs before anything is
 * sent, on a virtual thread.
 *
 * <pre>{@code
 * SseHandler<JsonSseConn> handler = request -> new JsonSseConn();
 * }</pre>
 *
 * @param <C> the connection type
 */
@FunctionalInterface
public interface SseHandler<C extends SseConn<?>> {
  /**
   * Returns a new connection for {@code request}.
   *
   * @throws Rejection to refuse with an HTTP status (4xx/5xx) and body
   * @throws SseNoContent to answer 204, which tells a browser's {@code EventSource} to stop
   *     reconnecting
   */
  C validate(Request request) throws Rejection, SseNoContent;
}
