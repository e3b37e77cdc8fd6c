package io.servicekit;

/**
 * Validates an upgrade request and creates the listener for it. Runs before the upgrade, on a
 * virtual thread; nothing has been sent to the client yet.
 *
 * <pre>{@code
 * WsHandler<Object, Object> handler =
 *     request -> WsListener.json("EchoConn", (session, message) -> session.send(message));
 * }</pre>
 *
 * @param <I> the type of decoded incoming messages
 * @param <O> the type of outgoing messages
 */
@FunctionalInterface
public interface WsHandler<I, O> {
  /**
   * Returns a new listener for {@code request}: one per connection.
   *
   * @throws Rejection to refuse the upgrade with an HTTP status and body
   */
  WsListener<I, O> accept(Request request) throws Rejection;
}
