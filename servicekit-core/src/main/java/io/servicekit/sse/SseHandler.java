package io.servicekit.sse;

import io.servicekit.Rejection;
import io.servicekit.Request;

/**
 * Accepts a Server-Sent Events request and returns the listener of its stream. Runs before anything
 * is sent, on a virtual thread.
 *
 * <pre>{@code
 * SseHandler<Object> handler = request -> SseListener.json();
 * }</pre>
 *
 * @param <O> the outgoing message type of the stream
 */
@FunctionalInterface
public interface SseHandler<O> {
  /**
   * Returns the listener of a new stream for {@code request} (never null).
   *
   * @throws Rejection to refuse with an HTTP status (4xx/5xx) and body, or with {@link
   *     Rejection#noContent()} to answer 204, which tells a browser's {@code EventSource} to stop
   *     reconnecting
   */
  SseListener<O> accept(Request request) throws Rejection;
}
