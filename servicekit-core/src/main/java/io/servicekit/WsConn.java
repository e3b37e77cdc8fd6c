package io.servicekit;

/**
 * A WebSocket connection object: the {@link BiDirStreamConn} lifecycle plus the start hook and the
 * decoding of received frames. Most applications extend {@link BaseConn} or {@link JsonConn} rather
 * than implementing this directly.
 *
 * @param <I> the type of decoded incoming messages
 */
public interface WsConn<I> extends BiDirStreamConn<I> {
  /**
   * Called once after the upgrade, before any message is delivered. Throwing closes the connection
   * (1011, or the {@link CloseException}'s status); {@code onClose} still runs.
   *
   * @param session the transport handle: send frames, close, read the handshake request
   */
  void onStart(WsSession session) throws Exception;

  /** Decodes one received frame into a message for {@link #handleMessage}. */
  I decode(Message frame) throws DecodeException;
}
