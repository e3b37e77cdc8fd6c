package io.servicekit.jetty;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.concurrent.CancellationException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import org.eclipse.jetty.io.AbstractEndPoint;
import org.eclipse.jetty.io.EofException;
import org.eclipse.jetty.util.BufferUtil;
import org.eclipse.jetty.util.Callback;
import org.jspecify.annotations.Nullable;

/**
 * Notices promptly that an HTTP/1.x client closed the connection under an SSE stream (of {@link
 * SseServe}, or of a {@link StreamableServe} stream whose request body has been read).
 *
 * <p>Hand-written because Jetty cannot tell: while a handler streams a response, Jetty's HTTP/1.1
 * connection is not interested in reading (a GET has no body), so a client that goes away is only
 * seen when a later write fails — up to two keepalive periods later. This probe registers read
 * interest on the endpoint itself: an SSE client never sends anything after its request, so
 * readability means end-of-stream (the client left) or bytes it must not send; either ends the
 * stream. Before the response is completed normally the probe withdraws its interest, so Jetty can
 * read the next request on a persistent connection.
 */
final class ClientGoneProbe implements Callback {
  private final AbstractEndPoint endPoint;
  private final Consumer<Throwable> onGone;
  private final AtomicBoolean done = new AtomicBoolean();

  private ClientGoneProbe(AbstractEndPoint endPoint, Consumer<Throwable> onGone) {
    this.endPoint = endPoint;
    this.onGone = onGone;
  }

  /** Arms a probe if the endpoint allows it; returns null otherwise. */
  static @Nullable ClientGoneProbe arm(Object endPoint, Consumer<Throwable> onGone) {
    if (!(endPoint instanceof AbstractEndPoint aep)) {
      return null;
    }
    ClientGoneProbe probe = new ClientGoneProbe(aep, onGone);
    return aep.tryFillInterested(probe) ? probe : null;
  }

  /** Withdraws the read interest (before the response completes normally); idempotent. */
  void cancel() {
    if (done.compareAndSet(false, true)) {
      endPoint.getFillInterest().onFail(new CancellationException("SSE stream ending"));
    }
  }

  @Override
  public void succeeded() {
    if (done.get()) {
      return;
    }
    ByteBuffer buffer = BufferUtil.allocate(64);
    int n;
    try {
      n = endPoint.fill(buffer);
    } catch (IOException e) {
      gone(e);
      return;
    }
    if (n < 0) {
      gone(new EofException("client closed the connection"));
    } else if (n > 0) {
      gone(new IOException("client sent " + n + " bytes on an SSE stream; closing it"));
    } else if (!done.get() && !endPoint.tryFillInterested(this)) {
      done.set(true); // someone else reads now; writes will still detect a dead client
    }
  }

  @Override
  public void failed(Throwable x) {
    if (!(x instanceof CancellationException)) {
      gone(x);
    }
  }

  /**
   * Blocking: ending the stream fails the handler's callback, and Jetty then cancels a write in
   * flight and waits for it. Run on the selector thread (as a non-blocking callback is), that wait
   * froze the selector and every connection on it, found under connection churn.
   */
  @Override
  public InvocationType getInvocationType() {
    return InvocationType.BLOCKING;
  }

  private void gone(Throwable cause) {
    if (done.compareAndSet(false, true)) {
      onGone.accept(cause);
    }
  }
}
