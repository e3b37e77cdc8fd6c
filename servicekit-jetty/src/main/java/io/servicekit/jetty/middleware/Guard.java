package io.servicekit.jetty.middleware;

import java.util.List;
import java.util.Objects;
import java.util.concurrent.CopyOnWriteArrayList;
import org.eclipse.jetty.server.Handler;

/**
 * A composable middleware chain. The first middleware added is the outermost: it sees the request
 * first and the response last. A middleware that answers without calling the next handler stops the
 * chain. An empty guard returns the handler unchanged. Thread-safe; a guard is itself a {@link
 * Middleware}, so guards nest.
 *
 * <pre>{@code
 * Guard guard = Guard.of(
 *     RequestId.create(),
 *     RequestLogger.skipping("/healthz"),
 *     Recovery.create(),
 *     Cors.allowing(OriginPolicy.of("https://*.example.com")),
 *     BodyLimiter.of(1 << 20),
 *     RateLimiter.of(RateLimitConfig.perKey(10, 0)),
 *     ConnLimiter.of(1000));
 * Handler api = guard.wrap(apiHandler);
 * }</pre>
 */
public final class Guard implements Middleware {
  private final List<Middleware> chain = new CopyOnWriteArrayList<>();

  private Guard() {}

  /** A guard with {@code middlewares} (null entries skipped). */
  public static Guard of(Middleware... middlewares) {
    return new Guard().use(middlewares);
  }

  /** Appends {@code middlewares}; null entries are skipped, as upstream. */
  public Guard use(Middleware... middlewares) {
    for (Middleware m : middlewares) {
      if (m != null) {
        chain.add(m);
      }
    }
    return this;
  }

  /** The chain, outermost first. */
  public List<Middleware> middlewares() {
    return List.copyOf(chain);
  }

  @Override
  public Handler wrap(Handler handler) {
    Objects.requireNonNull(handler, "handler");
    Handler out = handler;
    List<Middleware> snapshot = List.copyOf(chain);
    for (int i = snapshot.size() - 1; i >= 0; i--) {
      out = Objects.requireNonNull(snapshot.get(i).wrap(out), "middleware returned null");
    }
    return out;
  }
}
