package io.servicekit.jetty.middleware;

import java.util.function.Consumer;
import org.eclipse.jetty.util.Callback;

/** Callback helpers shared by the middleware. */
final class Callbacks {
  private Callbacks() {}

  /**
   * {@code callback} that first runs {@code done} with the failure (null on success) and then
   * completes {@code callback}, so bookkeeping is finished before the client can see the end of the
   * response.
   */
  static Callback before(Callback callback, Consumer<Throwable> done) {
    return new Callback.Nested(callback) {
      @Override
      public void succeeded() {
        try {
          done.accept(null);
        } finally {
          super.succeeded();
        }
      }

      @Override
      public void failed(Throwable x) {
        try {
          done.accept(x);
        } finally {
          super.failed(x);
        }
      }
    };
  }
}
