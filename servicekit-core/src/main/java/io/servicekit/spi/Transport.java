package io.servicekit.spi;

/**
 * What a server binding (Jetty, a test double) provides to drive one WebSocket connection. The core
 * calls the {@code send*} methods from one writer at a time, one frame in flight at a time, and
 * never from inside a lock.
 *
 * <p>Bindings report inbound events to the connection's {@link WsDriver}, which calls {@link
 * #demand()} when it is ready for the next one: a binding delivers no further data message until
 * asked (backpressure to the peer's TCP window).
 */
public interface Transport {
  /** Writes one text message; completes {@code callback} when written or failed. */
  void sendText(String text, WriteCallback callback);

  /** Writes one binary message. */
  void sendBinary(byte[] bytes, WriteCallback callback);

  /** Writes a close frame with {@code code} and {@code reason}. */
  void sendClose(int code, String reason, WriteCallback callback);

  /** Drops the connection without a close frame. Must lead to a closed event. */
  void abort();

  /** Asks for the next inbound event. */
  void demand();

  /** Completion of one write. Called once, from any thread, possibly before the send returns. */
  interface WriteCallback {
    void succeeded();

    void failed(Throwable cause);
  }
}
