package io.servicekit.jetty.middleware;

import io.servicekit.jetty.Responses;
import io.servicekit.jetty.StreamLifetime;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Limits concurrent requests and connections: beyond {@code max}, <b>503</b> {@code {"error":"too
 * many connections"}}. A plain request counts until its response completes, an SSE stream until it
 * ends, and a WebSocket <em>for the lifetime of the connection</em> (through {@link
 * StreamLifetime}), as upstream, where {@code WSServe} blocked until the connection ended.
 *
 * <p>Hand-written: Jetty's {@code ConnectionLimit} caps TCP connections by not accepting (no 503,
 * and keep-alive connections count while idle), and {@code QoSHandler} queues excess requests and
 * releases a WebSocket's permit at the upgrade.
 */
public final class ConnLimiter implements Middleware {
  private static final Logger LOG = LoggerFactory.getLogger(ConnLimiter.class);

  private final int max;
  private final AtomicInteger active = new AtomicInteger();

  private ConnLimiter(int max) {
    this.max = max;
  }

  /**
   * A limiter admitting {@code max} at once.
   *
   * @throws IllegalArgumentException if {@code max < 1} (leave the limiter out to disable it)
   */
  public static ConnLimiter of(int max) {
    if (max < 1) {
      throw new IllegalArgumentException(
          "ConnLimiter max must be >= 1 (leave it out of the Guard to disable it): " + max);
    }
    return new ConnLimiter(max);
  }

  /** Requests and connections holding a slot now. */
  public int active() {
    return active.get();
  }

  /** The limit. */
  public int max() {
    return max;
  }

  @Override
  public Handler wrap(Handler next) {
    return new Handler.Wrapper(next) {
      @Override
      public boolean handle(Request request, Response response, Callback callback)
          throws Exception {
        int now = active.incrementAndGet();
        if (now > max) {
          active.decrementAndGet();
          LOG.atWarn()
              .setMessage("connection limit reached")
              .addKeyValue("component", "connlimit")
              .addKeyValue("active", now - 1)
              .addKeyValue("max", max)
              .addKeyValue("ip", ClientIpExtractor.clientIp(request))
              .log();
          Responses.json(response, callback, 503, "{\"error\":\"too many connections\"}");
          return true;
        }
        AtomicBoolean released = new AtomicBoolean();
        AtomicBoolean longLived = new AtomicBoolean();
        Runnable release =
            () -> {
              if (released.compareAndSet(false, true)) {
                active.decrementAndGet();
              }
            };
        StreamLifetime.whenLongLived(
            request,
            end -> {
              longLived.set(true);
              end.whenComplete((r, x) -> release.run());
            });
        Callback tracked =
            Callbacks.before(
                callback,
                failure -> {
                  if (!longLived.get()) {
                    release.run();
                  }
                });
        try {
          boolean handled = super.handle(request, response, tracked);
          if (!handled) {
            release.run();
          }
          return handled;
        } catch (Throwable t) {
          release.run();
          throw t;
        }
      }
    };
  }
}
