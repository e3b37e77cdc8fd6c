package io.servicekit.jetty;

import io.servicekit.spi.SseTransport;
import io.servicekit.spi.Transport;
import java.nio.ByteBuffer;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import org.eclipse.jetty.io.EndPoint;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.BufferUtil;
import org.eclipse.jetty.util.Callback;
import org.jspecify.annotations.Nullable;

/**
 * Adapts one Jetty {@link Response} to ServiceKit's {@link SseTransport}. Every write is flushed
 * (Jetty's core {@code Response.write} does not aggregate); the handler's callback is completed
 * exactly once: by {@link #end}, {@link #reject} or {@link #abort}.
 *
 * <p>On HTTP/1.x an aborted stream also closes its connection: a half-written chunked response
 * cannot be continued, and Jetty left such a connection open (input shut by the client, output not)
 * until its idle timeout when the client had gone while a write was in flight — holding the stream
 * and everything it references for two minutes (found under connection churn).
 */
final class JettySseTransport implements SseTransport {
  private final Response response;
  private final Callback callback;
  private final @Nullable EndPoint endPoint; // HTTP/1.x only: closed on abort
  private final AtomicBoolean completed = new AtomicBoolean();
  private final @Nullable ClientGoneProbe probe;

  private JettySseTransport(
      Request request, Response response, Callback callback, Consumer<Throwable> onGone) {
    this.response = response;
    this.callback = callback;
    if (ServeSupport.isHttp1(request)) {
      this.endPoint = request.getConnectionMetaData().getConnection().getEndPoint();
      this.probe = ClientGoneProbe.arm(endPoint, onGone);
    } else {
      this.endPoint = null;
      this.probe = null;
    }
  }

  /**
   * A transport for the streamed response of {@code request}, whose head is set; a client that
   * leaves is reported to {@code onGone} (it may be told more than once): Jetty's failure report,
   * and on HTTP/1.x a {@link ClientGoneProbe}.
   */
  static JettySseTransport open(
      Request request, Response response, Callback callback, Consumer<Throwable> onGone) {
    request.addFailureListener(onGone);
    return new JettySseTransport(request, response, callback, onGone);
  }

  private void cancelProbe() {
    if (probe != null) {
      probe.cancel();
    }
  }

  @Override
  public void write(byte[] bytes, Transport.WriteCallback cb) {
    ByteBuffer buffer = bytes.length == 0 ? BufferUtil.EMPTY_BUFFER : ByteBuffer.wrap(bytes);
    response.write(false, buffer, adapt(cb));
  }

  @Override
  public void end(Transport.WriteCallback cb) {
    cancelProbe();
    response.write(
        true,
        BufferUtil.EMPTY_BUFFER,
        Callback.from(
            () -> {
              if (completed.compareAndSet(false, true)) {
                callback.succeeded();
              }
              cb.succeeded();
            },
            x -> {
              if (completed.compareAndSet(false, true)) {
                callback.failed(x);
              }
              cb.failed(x);
            }));
  }

  @Override
  public void reject(int status, String body, Map<String, String> headers) {
    if (response.isCommitted()) {
      abort(new IllegalStateException("cannot reject a committed SSE response with " + status));
      return;
    }
    if (!completed.compareAndSet(false, true)) {
      return;
    }
    cancelProbe();
    response.reset();
    if (status == 204) {
      ServeSupport.noContent(response, callback, headers);
      return;
    }
    Responses.text(response, callback, status, body, headers);
  }

  @Override
  public void abort(Throwable cause) {
    if (completed.compareAndSet(false, true)) {
      cancelProbe();
      if (endPoint != null) {
        endPoint.close(cause); // fails a write in flight at once, so the failure below never waits
      }
      callback.failed(cause);
    }
  }

  private static Callback adapt(Transport.WriteCallback cb) {
    return Callback.from(cb::succeeded, cb::failed);
  }
}
