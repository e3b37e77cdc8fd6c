package io.servicekit.jetty;

import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpHeaderValue;
import org.eclipse.jetty.http.HttpStatus;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.handler.GracefulHandler;
import org.eclipse.jetty.util.Callback;

/**
 * Jetty's {@link GracefulHandler} (its future completes when in-flight requests have finished),
 * plus a count of in-flight requests for the shutdown report. Once shut down, every new request and
 * WebSocket upgrade is answered at once with 503 {@code server shutting down} and {@code
 * Connection: close}, so a client never waits on a keep-alive connection of a stopping server. Its
 * drain is started only by {@link GracefulShutdown}: a plain {@link ServiceKitServer#stop()} still
 * refuses new requests but does not wait for open streams, as before.
 */
final class ShutdownGate extends GracefulHandler {
  private final AtomicInteger inFlight = new AtomicInteger();
  private volatile boolean draining;

  @Override
  public boolean handle(Request request, Response response, Callback callback) throws Exception {
    if (isShutdown()) {
      // Jetty's own 503 is an HTML error page that keeps the connection open.
      Responses.text(
          response,
          callback,
          HttpStatus.SERVICE_UNAVAILABLE_503,
          "server shutting down",
          Map.of(HttpHeader.CONNECTION.asString(), HttpHeaderValue.CLOSE.asString()));
      return true;
    }
    inFlight.incrementAndGet();
    Callback counted =
        new Callback.Nested(callback) {
          @Override
          public void succeeded() {
            inFlight.decrementAndGet();
            super.succeeded();
          }

          @Override
          public void failed(Throwable x) {
            inFlight.decrementAndGet();
            super.failed(x);
          }
        };
    boolean handled;
    try {
      handled = super.handle(request, response, counted);
    } catch (Throwable t) {
      inFlight.decrementAndGet();
      throw t;
    }
    if (!handled) {
      inFlight.decrementAndGet();
    }
    return handled;
  }

  /** HTTP requests (SSE streams included, upgraded WebSockets not) whose response is not done. */
  int inFlight() {
    return inFlight.get();
  }

  /** Refuses new requests with 503; completes when in-flight requests have finished. */
  CompletableFuture<Void> drain() {
    draining = true;
    return super.shutdown();
  }

  /** Stop waiting: the next {@code Server.stop()} closes what is left at once. */
  void endDrain() {
    draining = false;
  }

  @Override
  public CompletableFuture<Void> shutdown() {
    CompletableFuture<Void> done = super.shutdown();
    return draining ? done : CompletableFuture.completedFuture(null);
  }
}
