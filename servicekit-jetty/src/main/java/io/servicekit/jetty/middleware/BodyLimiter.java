package io.servicekit.jetty.middleware;

import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.handler.SizeLimitHandler;

/**
 * Limits request bodies to {@code maxBytes} with Jetty's {@link SizeLimitHandler}: a {@code
 * Content-Length} over the limit is answered <b>413</b> at once, before the handler runs; a body
 * without a length (chunked) fails the handler's read with a 413 error as soon as it goes over, and
 * a handler that lets the failure propagate (as Jetty's content helpers do) answers 413. The Go
 * library only failed the read and relied on the handler (W-85). Exactly {@code maxBytes} passes.
 * Responses are not limited, so streams are unaffected; WebSocket frames are not request bodies
 * (their size limit is {@code WsConfig.maxMessageSize}).
 */
public final class BodyLimiter implements Middleware {
  private final long maxBytes;

  private BodyLimiter(long maxBytes) {
    this.maxBytes = maxBytes;
  }

  /**
   * A limiter of {@code maxBytes}.
   *
   * @throws IllegalArgumentException if {@code maxBytes < 1} (leave it out to disable it)
   */
  public static BodyLimiter of(long maxBytes) {
    if (maxBytes < 1) {
      throw new IllegalArgumentException(
          "BodyLimiter maxBytes must be >= 1 (leave it out of the Guard to disable it): "
              + maxBytes);
    }
    return new BodyLimiter(maxBytes);
  }

  /** The limit in bytes. */
  public long maxBytes() {
    return maxBytes;
  }

  @Override
  public Handler wrap(Handler next) {
    SizeLimitHandler limiter = new SizeLimitHandler(maxBytes, -1);
    limiter.setHandler(next);
    return limiter;
  }
}
