package io.servicekit.spi;

import io.servicekit.Request;
import io.servicekit.WsConfig;
import io.servicekit.WsListener;
import io.servicekit.WsSession;
import io.servicekit.internal.driver.WsConnection;
import org.jspecify.annotations.Nullable;

/**
 * The driver of one WebSocket connection, as a server binding sees it: the binding creates one per
 * upgraded connection, calls {@link #open} once its {@link Transport} is ready, and reports every
 * inbound event to it; the driver runs the {@link WsListener}'s callbacks, the heartbeat, the
 * outgoing queue and the close handshake. The application sees only its {@link #session()}.
 *
 * <p>A binding delivers the next data message only after the driver's {@link Transport#demand()}.
 * Events of one connection are reported from one thread at a time.
 */
public interface WsDriver {
  /**
   * A driver in state {@code NEW} for {@code listener}.
   *
   * @param request the upgrade request
   * @param subprotocol the subprotocol agreed with the client, or null
   */
  static <I, O> WsDriver create(
      WsListener<I, O> listener, WsConfig config, Request request, @Nullable String subprotocol) {
    return new WsConnection<>(listener, config, request, subprotocol);
  }

  /** The session the application sees (the same object for the driver's whole life). */
  WsSession<?> session();

  /**
   * The upgrade completed: starts the heartbeat and runs {@code onOpen}, then asks for the first
   * message.
   *
   * @throws IllegalStateException if called twice
   */
  void open(Transport transport);

  /** A text message arrived. */
  void onText(String text);

  /** A binary message arrived; {@code bytes} now belongs to the driver. */
  void onBinary(byte[] bytes);

  /** A protocol-level ping or pong arrived: liveness only. */
  void onControlFrame();

  /** The transport failed; an {@link #onClosed} call follows. */
  void onTransportError(Throwable cause);

  /**
   * The connection has ended: the close handshake finished (either side first), the peer dropped,
   * or the transport was aborted. {@code code} is the peer's or the transport's status.
   */
  void onClosed(int code, String reason);
}
