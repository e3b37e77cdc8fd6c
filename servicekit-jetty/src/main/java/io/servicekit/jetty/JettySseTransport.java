package io.servicekit.jetty;

import io.servicekit.spi.SseTransport;
import io.servicekit.spi.Transport;
import java.nio.ByteBuffer;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.BufferUtil;
import org.eclipse.jetty.util.Callback;

/**
 * Adapts one Jetty {@link Response} to ServiceKit's {@link SseTransport}. Every write is flushed
 * (Jetty's core {@code Response.write} does not aggregate); the handler's callback is completed
 * exactly once: by {@link #end}, {@link #reject} or {@link #abort}.
 */
final class JettySseTransport implements SseTransport {
  private final Response response;
  private final Callback callback;
  private final AtomicBoolean completed = new AtomicBoolean();
  private volatile ClientGoneProbe probe;

  JettySseTransport(Response response, Callback callback) {
    this.response = response;
    this.callback = callback;
  }

  /** The probe to withdraw before the response completes normally. */
  void probe(ClientGoneProbe probe) {
    this.probe = probe;
  }

  private void cancelProbe() {
    ClientGoneProbe p = probe;
    if (p != null) {
      p.cancel();
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
      response.setStatus(204);
      headers.forEach((k, v) -> response.getHeaders().put(k, v));
      response.write(true, BufferUtil.EMPTY_BUFFER, callback);
      return;
    }
    Responses.text(response, callback, status, body, headers);
  }

  @Override
  public void abort(Throwable cause) {
    if (completed.compareAndSet(false, true)) {
      callback.failed(cause);
    }
  }

  private static Callback adapt(Transport.WriteCallback cb) {
    return Callback.from(cb::succeeded, cb::failed);
  }
}
