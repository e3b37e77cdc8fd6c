package io.servicekit;

/**
 * Validates an upgrade request and creates the connection object for it. Runs before the upgrade,
 * on a virtual thread; nothing has been sent to the client yet.
 *
 * <pre>{@code
 * WsHandler<Object, EchoConn> handler = request -> new EchoConn();
 * }</pre>
 *
 * @param <I> the type of decoded incoming messages
 * @param <C> the connection type
 */
@FunctionalInterface
public interface WsHandler<I, C extends WsConn<I>> {
  /**
   * Returns a new connection for {@code request}.
   *
   * @throws Rejection to refuse the upgrade with an HTTP status and body
   */
  C validate(Request request) throws Rejection;
}
