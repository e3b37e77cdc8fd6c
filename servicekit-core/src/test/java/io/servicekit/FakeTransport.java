package io.servicekit;

import io.servicekit.spi.Transport;
import java.util.AbstractList;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Spliterator;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * An in-memory {@link Transport}: records what is written. In {@code hold} mode writes stay pending
 * until {@link #completeOne()}, which models a peer that does not read.
 */
final class FakeTransport implements Transport {
  final List<Object> written = new Recorded();
  final AtomicInteger demands = new AtomicInteger();
  final AtomicInteger aborts = new AtomicInteger();
  private final List<WriteCallback> pending = new ArrayList<>();
  private volatile boolean hold;
  private WsConnection<?> connection;

  void bind(WsConnection<?> connection) {
    this.connection = connection;
  }

  void hold(boolean on) {
    hold = on;
  }

  synchronized int pendingWrites() {
    return pending.size();
  }

  /** Completes the oldest pending write. */
  void completeOne() {
    WriteCallback cb;
    synchronized (this) {
      cb = pending.remove(0);
    }
    cb.succeeded();
  }

  /** Fails the oldest pending write. */
  void failOne(Throwable cause) {
    WriteCallback cb;
    synchronized (this) {
      cb = pending.remove(0);
    }
    cb.failed(cause);
  }

  private void write(Object what, WriteCallback callback) {
    written.add(what);
    if (hold) {
      synchronized (this) {
        pending.add(callback);
      }
    } else {
      callback.succeeded();
    }
  }

  @Override
  public void sendText(String text, WriteCallback callback) {
    write(text, callback);
  }

  @Override
  public void sendBinary(byte[] bytes, WriteCallback callback) {
    write(bytes, callback);
  }

  @Override
  public void sendClose(int code, String reason, WriteCallback callback) {
    // Model a peer that answers the close handshake as soon as our close frame reaches it.
    write(
        CloseStatus.received(code, reason),
        new WriteCallback() {
          @Override
          public void succeeded() {
            callback.succeeded();
            if (connection != null) {
              connection.onClosed(code, reason);
            }
          }

          @Override
          public void failed(Throwable cause) {
            callback.failed(cause);
          }
        });
  }

  @Override
  public void abort() {
    aborts.incrementAndGet();
    if (connection != null) {
      connection.onClosed(CloseStatus.ABNORMAL, "aborted");
    }
  }

  @Override
  public void demand() {
    demands.incrementAndGet();
  }

  /**
   * What was written: appends in O(1) (one test writes 100,000 frames; a copy-on-write list took
   * 30-80 s), and iteration over a snapshot, so a test may read while the connection writes.
   */
  private static final class Recorded extends AbstractList<Object> {
    private final ArrayList<Object> items = new ArrayList<>();

    @Override
    public synchronized boolean add(Object o) {
      return items.add(o);
    }

    @Override
    public synchronized Object get(int index) {
      return items.get(index);
    }

    @Override
    public synchronized int size() {
      return items.size();
    }

    private synchronized List<Object> snapshot() {
      return new ArrayList<>(items);
    }

    @Override
    public Iterator<Object> iterator() {
      return snapshot().iterator();
    }

    @Override
    public Spliterator<Object> spliterator() {
      return snapshot().spliterator();
    }
  }
}
