package io.servicekit.client;

/**
 * {@code send} was refused because the client's send queue already holds its maximum number of
 * messages (see {@code WsClient.Builder.maxQueuedMessages}): the client is reconnecting or the
 * server reads too slowly. Nothing was queued.
 */
public class SendQueueFullException extends IllegalStateException {
  private static final long serialVersionUID = 1L;

  private final int limit;

  public SendQueueFullException(int limit, String state) {
    super(
        "send queue full: "
            + limit
            + " messages already queued (maxQueuedMessages="
            + limit
            + ", client "
            + state
            + ")");
    this.limit = limit;
  }

  /** The configured bound. */
  public int limit() {
    return limit;
  }
}
