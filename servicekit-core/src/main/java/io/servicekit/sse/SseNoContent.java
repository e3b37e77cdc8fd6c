package io.servicekit.sse;

import io.servicekit.ServiceKitException;

/**
 * Thrown from {@link SseHandler#validate} to answer {@code 204 No Content}: the conventional way to
 * tell a browser's {@code EventSource} (and spec-following clients) to stop reconnecting, e.g. when
 * the feed has ended for good.
 */
public class SseNoContent extends ServiceKitException {
  public SseNoContent(String reason) {
    super("SSE stream refused with 204 No Content: " + reason);
  }
}
