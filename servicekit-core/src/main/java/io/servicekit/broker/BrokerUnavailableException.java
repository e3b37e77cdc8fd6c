package io.servicekit.broker;

import io.servicekit.ServiceKitException;
import org.jspecify.annotations.Nullable;

/**
 * A message could not be handed to the cluster: the {@link Broker} or a shared {@link
 * io.servicekit.sse.EventStore} is unreachable, stalled or failed. {@link #deliveredLocally()}
 * tells the message's fate on this node:
 *
 * <ul>
 *   <li>{@code false} — refused before anything was delivered (the broker was known to be down):
 *       nobody received it, on any node; the caller may retry later.
 *   <li>{@code true} — delivered to this node's members, then the hand-over to the other nodes
 *       failed or timed out. Other nodes may or may not receive it (a stalled Redis runs a
 *       timed-out command when it resumes); a node that lost its broker connection meanwhile tells
 *       its members to resync ({@link Broker#onGap}).
 * </ul>
 *
 * A server answering an HTTP request maps this to 503.
 */
public final class BrokerUnavailableException extends ServiceKitException {
  private static final long serialVersionUID = 1L;

  private final boolean deliveredLocally;

  /** A failure with {@code message}; {@code deliveredLocally} as described above. */
  public BrokerUnavailableException(
      String message, boolean deliveredLocally, @Nullable Throwable cause) {
    super(message, cause);
    this.deliveredLocally = deliveredLocally;
  }

  /** Whether this node's members received the message before the failure. */
  public boolean deliveredLocally() {
    return deliveredLocally;
  }
}
