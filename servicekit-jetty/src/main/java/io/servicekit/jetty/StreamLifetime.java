package io.servicekit.jetty;

import java.util.List;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import org.eclipse.jetty.server.Request;

/**
 * Tells middleware when a request turns into a connection that outlives it. A WebSocket upgrade
 * completes its HTTP request as soon as the 101 is written, while the connection goes on; a
 * middleware that accounts for connections (a connection limit, metrics) registers with {@link
 * #whenLongLived} before calling the next handler, and {@link WsServe} reports the upgrade with
 * {@link #becameLongLived}, passing a stage that completes when the connection ends.
 *
 * <p>Streams that keep their request open until they end (SSE, streaming responses) need nothing:
 * their request's callback completes when they end.
 */
public final class StreamLifetime {
  private static final String ATTRIBUTE = StreamLifetime.class.getName();

  private StreamLifetime() {}

  /**
   * Registers {@code listener} to be told, on the request's thread and before the request's
   * callback completes, that {@code request} became a long-lived connection; the stage passed to it
   * completes when that connection ends.
   */
  @SuppressWarnings("unchecked")
  public static void whenLongLived(Request request, Consumer<CompletionStage<?>> listener) {
    Object current = request.getAttribute(ATTRIBUTE);
    List<Consumer<CompletionStage<?>>> listeners;
    if (current instanceof List<?> list) {
      listeners = (List<Consumer<CompletionStage<?>>>) list;
    } else {
      listeners = new CopyOnWriteArrayList<>();
      request.setAttribute(ATTRIBUTE, listeners);
    }
    listeners.add(listener);
  }

  /** Called by a handler whose request became a connection that ends when {@code end} does. */
  public static void becameLongLived(Request request, CompletionStage<?> end) {
    if (request.getAttribute(ATTRIBUTE) instanceof List<?> list) {
      for (Object o : list) {
        @SuppressWarnings("unchecked")
        Consumer<CompletionStage<?>> listener = (Consumer<CompletionStage<?>>) o;
        listener.accept(end);
      }
    }
  }
}
