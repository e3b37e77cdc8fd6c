package io.servicekit.jetty.middleware;

import org.eclipse.jetty.server.Handler;

/**
 * A handler → handler wrapper (the Go library's {@code func(http.Handler) http.Handler}). {@link
 * #wrap} returns a new handler each time, so one middleware, with its shared state (buckets,
 * counters), can wrap many routes.
 */
@FunctionalInterface
public interface Middleware {
  /** A handler that applies this middleware and then (usually) calls {@code next}. */
  Handler wrap(Handler next);
}
