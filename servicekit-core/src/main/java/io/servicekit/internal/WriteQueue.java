package io.servicekit.internal;

import io.servicekit.Scheduler;
import io.servicekit.SlowConsumerPolicy;
import io.servicekit.spi.Transport;
import java.util.ArrayDeque;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.ReentrantLock;

/**
 * One connection's outgoing items: a byte budget, a single writer and at most one item in flight.
 * Shared by the WebSocket driver (items are frames and a close status) and the SSE driver (items
 * are encoded event bytes and an end-of-stream marker).
 *
 * <p>Whoever finds the writer idle becomes the writer and drains the queue. A write that the sink
 * completes synchronously continues the loop in the same thread (no recursion); one that completes
 * later continues it in the completion's thread. No lock is held across a sink call.
 *
 * <p>A queue built {@code held} accepts items but writes nothing until {@link #release()}: the SSE
 * driver queues events while {@code onStart} runs, so that a failing {@code onStart} can still be
 * answered with an error status instead of a committed stream.
 *
 * <p>Internal: not part of the API.
 *
 * @param <T> the item type
 */
public final class WriteQueue<T> {
  /** What became of an offered item. */
  public enum Offer {
    QUEUED,
    /**
     * The policy ({@code DROP_NEWEST}, or {@code DROP_OLDEST} for an item bigger than the room)
     * refused it.
     */
    DROPPED,
    /** {@code CLOSE} policy: the budget is exceeded and the connection must close. */
    OVERFLOW,
    /** The queue is closed or its last item is queued. */
    CLOSED
  }

  /** Writes one item; called by one writer at a time, never inside a lock. */
  @FunctionalInterface
  public interface Sink<T> {
    void write(T item, Transport.WriteCallback callback);
  }

  /** Receives write failures and the start of each write (for a write watchdog). */
  public interface Listener {
    void writeStarted(long nanoTime);

    void writeFailed(Throwable cause);
  }

  private record Entry<T>(T item, int size, boolean last) {}

  private static final int WRITING = 0;
  private static final int DONE = 1;
  private static final int ASYNC = 2;

  private final ReentrantLock lock = new ReentrantLock();
  private final Sink<T> sink;
  private final Scheduler clock;
  private final Listener listener;
  private final long maxBytes;

  // Guarded by lock.
  private final ArrayDeque<Entry<T>> items = new ArrayDeque<>();
  private long queuedBytes; // includes the in-flight item
  private long inFlightBytes;
  private boolean writing; // a writer (or the hold) owns the drain loop
  private boolean held; // created held and not yet released
  private boolean lastQueued; // the last item is queued; nothing more is accepted
  private boolean closed; // nothing more is accepted or written
  private long dropped;
  private long writeStartedAt; // nanoTime of the in-flight write, valid while writing

  /** Phase of the one in-flight write; one completion object serves every write. */
  private final AtomicInteger phase = new AtomicInteger(DONE);

  private final Transport.WriteCallback completion =
      new Transport.WriteCallback() {
        @Override
        public void succeeded() {
          finishWrite();
          if (!phase.compareAndSet(WRITING, DONE)) {
            drain(); // the writer already returned; continue on this thread
          }
        }

        @Override
        public void failed(Throwable cause) {
          fail(cause);
          phase.set(DONE);
        }
      };

  /**
   * A queue writing to {@code sink}.
   *
   * @param maxBytes the budget of unwritten bytes, including the item in flight
   * @param held whether writing waits for {@link #release()}
   */
  public WriteQueue(Sink<T> sink, Scheduler clock, long maxBytes, Listener listener, boolean held) {
    this.sink = sink;
    this.clock = clock;
    this.maxBytes = maxBytes;
    this.listener = listener;
    this.held = held;
    this.writing = held;
  }

  /** Offers {@code item} of {@code size} bytes, applying {@code policy} if it does not fit. */
  public Offer offer(T item, int size, SlowConsumerPolicy policy) {
    lock.lock();
    try {
      if (closed || lastQueued) {
        return Offer.CLOSED;
      }
      if (queuedBytes + size > maxBytes) {
        switch (policy) {
          case CLOSE -> {
            return Offer.OVERFLOW;
          }
          case DROP_NEWEST -> {
            dropped++;
            return Offer.DROPPED;
          }
          case DROP_OLDEST -> {
            while (queuedBytes + size > maxBytes
                && items.peekFirst() != null
                && !items.peekFirst().last()) {
              Entry<T> old = items.pollFirst();
              queuedBytes -= old.size();
              dropped++;
            }
            if (queuedBytes + size > maxBytes) {
              dropped++;
              return Offer.DROPPED; // bigger than the budget left beside the in-flight item
            }
          }
        }
      }
      items.addLast(new Entry<>(item, size, false));
      queuedBytes += size;
      if (writing) {
        return Offer.QUEUED;
      }
      writing = true;
    } finally {
      lock.unlock();
    }
    drain();
    return Offer.QUEUED;
  }

  /**
   * Queues {@code item} after everything already queued as the last one: it is never dropped nor
   * counted against the budget, and later offers are refused. Ignored if the queue is closed.
   */
  public void offerLast(T item) {
    lock.lock();
    try {
      if (closed || lastQueued) {
        return;
      }
      lastQueued = true;
      items.addLast(new Entry<>(item, 0, true));
      if (writing) {
        return;
      }
      writing = true;
    } finally {
      lock.unlock();
    }
    drain();
  }

  /** Starts writing what a queue built {@code held} has accepted; later calls do nothing. */
  public void release() {
    lock.lock();
    try {
      if (!held) {
        return;
      }
      held = false;
    } finally {
      lock.unlock();
    }
    drain(); // the hold owned the drain loop; hand it to this thread
  }

  /** Discards everything queued and refuses further items. */
  public void clear() {
    lock.lock();
    try {
      closed = true;
      items.clear();
      queuedBytes = inFlightBytes;
    } finally {
      lock.unlock();
    }
  }

  public long queuedBytes() {
    lock.lock();
    try {
      return queuedBytes;
    } finally {
      lock.unlock();
    }
  }

  /** Items discarded by the drop policies. */
  public long dropped() {
    lock.lock();
    try {
      return dropped;
    } finally {
      lock.unlock();
    }
  }

  /** The start time of the write in flight, or -1 when none is. */
  public long inFlightSince() {
    lock.lock();
    try {
      return writing && !held && phase.get() != DONE ? writeStartedAt : -1;
    } finally {
      lock.unlock();
    }
  }

  private void drain() {
    while (true) {
      Entry<T> entry;
      lock.lock();
      try {
        entry = closed ? null : items.pollFirst();
        if (entry == null) {
          writing = false;
          return;
        }
        if (entry.last()) {
          closed = true; // the last item is the last thing written
        }
        inFlightBytes = entry.size();
        writeStartedAt = clock.nanoTime();
        phase.set(WRITING);
      } finally {
        lock.unlock();
      }
      listener.writeStarted(writeStartedAt);
      try {
        sink.write(entry.item(), completion);
      } catch (RuntimeException e) {
        completion.failed(e);
        return;
      }
      if (phase.compareAndSet(WRITING, ASYNC)) {
        return; // completes later; the completion continues the loop
      }
    }
  }

  private void finishWrite() {
    lock.lock();
    try {
      queuedBytes -= inFlightBytes;
      inFlightBytes = 0;
    } finally {
      lock.unlock();
    }
  }

  private void fail(Throwable cause) {
    lock.lock();
    try {
      closed = true;
      writing = false;
      items.clear();
      queuedBytes = 0;
      inFlightBytes = 0;
    } finally {
      lock.unlock();
    }
    listener.writeFailed(cause);
  }
}
