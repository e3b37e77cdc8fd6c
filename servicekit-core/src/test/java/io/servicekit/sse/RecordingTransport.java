package io.servicekit.sse;

import io.servicekit.spi.SseTransport;
import io.servicekit.spi.Transport;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;

/**
 * An {@link SseTransport} that records the exact bytes written. With {@code stalled} it completes
 * no write (a client that stopped reading) until {@link #completeAll()}.
 */
final class RecordingTransport implements SseTransport {
  private final ByteArrayOutputStream out = new ByteArrayOutputStream();
  private final List<Transport.WriteCallback> pending = new ArrayList<>();
  private boolean stalled;
  private int writes;
  volatile boolean ended;
  volatile boolean aborted;
  volatile int rejectStatus;
  volatile String rejectBody;
  final CountDownLatch done = new CountDownLatch(1);

  RecordingTransport() {}

  static RecordingTransport stalled() {
    RecordingTransport t = new RecordingTransport();
    t.stalled = true;
    return t;
  }

  @Override
  public void write(byte[] bytes, Transport.WriteCallback callback) {
    synchronized (this) {
      if (aborted) {
        throw new IllegalStateException("write after abort");
      }
      out.writeBytes(bytes);
      writes++;
      if (stalled) {
        pending.add(callback);
        return;
      }
    }
    callback.succeeded();
  }

  @Override
  public void end(Transport.WriteCallback callback) {
    ended = true;
    done.countDown();
    callback.succeeded();
  }

  @Override
  public void reject(int status, String body, Map<String, String> headers) {
    synchronized (this) {
      if (writes > 0) {
        throw new IllegalStateException("reject after a write");
      }
    }
    rejectStatus = status;
    rejectBody = body;
    done.countDown();
  }

  @Override
  public void abort(Throwable cause) {
    List<Transport.WriteCallback> failed;
    synchronized (this) {
      aborted = true;
      failed = new ArrayList<>(pending);
      pending.clear();
    }
    done.countDown();
    failed.forEach(cb -> cb.failed(cause));
  }

  /** Completes the stalled writes and stops stalling. */
  void completeAll() {
    List<Transport.WriteCallback> ok;
    synchronized (this) {
      stalled = false;
      ok = new ArrayList<>(pending);
      pending.clear();
    }
    ok.forEach(Transport.WriteCallback::succeeded);
  }

  synchronized String text() {
    return out.toString(StandardCharsets.UTF_8);
  }

  synchronized int writes() {
    return writes;
  }
}
