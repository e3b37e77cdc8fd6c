package io.servicekit.jetty.middleware;

import io.servicekit.spi.MetricsListener;
import io.servicekit.spi.MetricsListener.Kind;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.Objects;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.pathmap.PathSpec;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.handler.PathMappingsHandler;
import org.eclipse.jetty.util.Callback;

/**
 * Reports Server-Sent Events streams to a {@link MetricsListener} from the outside, for any SSE
 * handler: a response whose {@code Content-Type} is {@code text/event-stream} when its first bytes
 * are written counts as an open stream ({@code opened}) until its request completes ({@code closed}
 * with 1000, or 1001 when it ended with a failure such as the client going away); each write after
 * that is one {@code messageOut} (an event or a keepalive) with its size. Tagged with the route
 * pattern. Other responses and WebSocket upgrades pass untouched.
 *
 * <p>The response is wrapped only to observe {@code write}; nothing is buffered, so streaming is
 * unaffected (W-75).
 */
public final class SseMetrics implements Middleware {
  private final MetricsListener listener;

  private SseMetrics(MetricsListener listener) {
    this.listener = Objects.requireNonNull(listener, "listener");
  }

  /** Reports to {@code listener}. */
  public static SseMetrics reportingTo(MetricsListener listener) {
    return new SseMetrics(listener);
  }

  @Override
  public Handler wrap(Handler next) {
    return Wrappers.around(
        next,
        (request, response, callback, chain) -> {
          if (OriginChecker.isWebSocketUpgrade(request)) {
            return chain.handle(request, response, callback);
          }
          String route =
              request.getAttribute(PathMappingsHandler.PATHSPEC_ATTR) instanceof PathSpec spec
                  ? spec.getDeclaration()
                  : "unmapped";
          long start = System.nanoTime();
          Observed observed = new Observed(request, response, route);
          Callback done =
              Callbacks.before(
                  callback,
                  failure -> {
                    if (observed.stream) {
                      listener.closed(
                          Kind.SSE,
                          route,
                          failure == null ? 1000 : 1001,
                          Duration.ofNanos(System.nanoTime() - start));
                    }
                  });
          return chain.handle(request, observed, done);
        });
  }

  private final class Observed extends Response.Wrapper {
    private final String route;
    private volatile boolean first = true;
    volatile boolean stream;

    Observed(Request request, Response wrapped, String route) {
      super(request, wrapped);
      this.route = route;
    }

    @Override
    public void write(boolean last, ByteBuffer content, Callback callback) {
      if (first) {
        first = false;
        String type = getHeaders().get(HttpHeader.CONTENT_TYPE);
        if (type != null
            && type.toLowerCase(java.util.Locale.ROOT).startsWith("text/event-stream")) {
          stream = true;
          listener.opened(Kind.SSE, route);
        }
      }
      if (stream && content != null && content.hasRemaining()) {
        listener.messageOut(Kind.SSE, route, content.remaining());
      }
      super.write(last, content, callback);
    }
  }
}
