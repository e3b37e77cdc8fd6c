package io.servicekit.jetty.middleware;

import java.util.Objects;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;

/**
 * The one {@code Handler.Wrapper} the hand-written middleware share: {@link #around} wraps the next
 * handler in a wrapper whose {@code handle} runs a {@link Step}, which decides whether to pass the
 * request on (through {@link Next}, with the same or a wrapped callback or response) or to answer
 * it itself and return {@code true}.
 */
final class Wrappers {
  private Wrappers() {}

  /** Passes a request on to the wrapped handler ({@code Handler.Wrapper.handle}). */
  @FunctionalInterface
  interface Next {
    boolean handle(Request request, Response response, Callback callback) throws Exception;
  }

  /** What a middleware does with one request; {@code next} passes it on. */
  @FunctionalInterface
  interface Step {
    boolean handle(Request request, Response response, Callback callback, Next next)
        throws Exception;
  }

  /** A new wrapper around {@code next} that runs {@code step} for every request. */
  static Handler around(Handler next, Step step) {
    return new Wrapped(next, Objects.requireNonNull(step, "step"));
  }

  private static final class Wrapped extends Handler.Wrapper {
    private final Step step;
    private final Next passOn = super::handle;

    Wrapped(Handler next, Step step) {
      super(next);
      this.step = step;
    }

    @Override
    public boolean handle(Request request, Response response, Callback callback) throws Exception {
      return step.handle(request, response, callback, passOn);
    }
  }
}
