package io.servicekit.client;

import io.servicekit.CloseStatus;
import io.servicekit.ServiceKitException;
import java.util.Objects;

/**
 * The connection closed while a request of a {@link ChannelClient} was waiting for its reply: the
 * request fails at once with the close status (it is not resent after a reconnect, see
 * docs/channels.md). Whether the server received it is unknown.
 */
public final class ConnectionClosedException extends ServiceKitException {
  private static final long serialVersionUID = 1L;

  private final transient CloseStatus status;

  /**
   * @param status how the connection ended
   */
  public ConnectionClosedException(CloseStatus status) {
    super(
        "the connection closed ("
            + Objects.requireNonNull(status, "status").code()
            + (status.reason().isEmpty() ? "" : " " + status.reason())
            + ") before the reply came");
    this.status = status;
  }

  /** How the connection ended. */
  public CloseStatus status() {
    return status;
  }
}
