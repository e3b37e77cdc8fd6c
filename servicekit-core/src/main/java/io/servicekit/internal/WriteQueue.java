package io.servicekit.internal;

import io.servicekit.Scheduler;
import io.servicekit.SlowConsumerPolicy;
import io.servicekit.spi.Transport;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.ArrayDeque;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;

/**
 * One connection's outgoing items: a byte budget, a single writer and at most one item in flight.
 * Shared by the WebSocket driver (items are frames and a close status) and the SSE driver (items
 * are encoded event bytes and an end-of-stream marker).
 *
 * <p>Whoever finds the writer idle becomes the writer and drains the queue; an item offered to an
 * idle queue is written at once, without being queued. A write that the sink completes
 * synchronously continues the loop in the same thread (no recursion); one that completes later
 * continues it in the completion's thread. No lock is held across a sink call, and a write costs
 * two lock round-trips when nothing is waiting (one to start it, one to account for it and take the
 * next item).
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

    /** Reports each write start to {@code watchdog} and each failure to {@code onFailure}. */
    static Listener of(WriteWatchdog watchdog, Consumer<Throwable> onFailure) {
      return new Listener() {
        @Override
        public void writeStarted(long nanoTime) {
          watchdog.writeStarted(nanoTime);
        }

        @Override
        public void writeFailed(Throwable cause) {
          onFailure.accept(cause);
        }
      };
    }
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
  private volatile int phase = DONE;

  private static final VarHandle PHASE;

  static {
    try {
      PHASE = MethodHandles.lookup().findVarHandle(WriteQueue.class, "phase", int.class);
    } catch (ReflectiveOperationException e) {
      throw new ExceptionInInitializerError(e);
    }
  }

  private final Transport.WriteCallback completion =
      new Transport.WriteCallback() {
        @Override
        public void succeeded() {
          if (PHASE.compareAndSet(WriteQueue.this, WRITING, DONE)) {
            return; // the writer is still in the sink call; it accounts and continues
          }
          // The writer already returned (ASYNC): account and continue on this thread.
          phase = DONE;
          T next = finishAndTakeNext();
          if (next != null) {
            writeLoop(next);
          }
        }

        @Override
        public void failed(Throwable cause) {
          fail(cause);
          phase = DONE;
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
            if (inFlightBytes + size > maxBytes) {
              // Would not fit even with everything queued dropped: refuse it, drop nothing.
              dropped++;
              return Offer.DROPPED;
            }
            // queuedBytes is the in-flight item plus the queued ones, and no last item is queued
            // (offers end before it), so dropping from the head makes room before it runs dry.
            while (queuedBytes + size > maxBytes) {
              queuedBytes -= items.pollFirst().size();
              dropped++;
            }
          }
        }
      }
      queuedBytes += size;
      if (writing) {
        items.addLast(new Entry<>(item, size, false));
        return Offer.QUEUED;
      }
      // Idle (so nothing is queued): this thread becomes the writer and writes the item at once.
      writing = true;
      startLocked(size);
    } finally {
      lock.unlock();
    }
    writeLoop(item);
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
      return writing && !held && phase != DONE ? writeStartedAt : -1;
    } finally {
      lock.unlock();
    }
  }

  /** Becomes the writer's loop for what is queued (the caller owns the drain loop). */
  private void drain() {
    T next;
    lock.lock();
    try {
      next = takeNextLocked();
    } finally {
      lock.unlock();
    }
    if (next != null) {
      writeLoop(next);
    }
  }

  /**
   * Writes {@code item}, already started by {@link #startLocked}, and whatever is queued behind it
   * while the sink completes synchronously; returns when the queue is empty or a write is pending
   * (its completion then continues the loop).
   */
  private void writeLoop(T item) {
    while (true) {
      listener.writeStarted(writeStartedAt); // set by this writer under the lock
      try {
        sink.write(item, completion);
      } catch (RuntimeException e) {
        completion.failed(e);
        return;
      }
      if (PHASE.compareAndSet(this, WRITING, ASYNC)) {
        return; // completes later; the completion continues the loop
      }
      item = finishAndTakeNext(); // completed (or failed) synchronously
      if (item == null) {
        return;
      }
    }
  }

  /** Accounts for the completed write and takes the next item, in one lock round-trip. */
  private @Nullable T finishAndTakeNext() {
    lock.lock();
    try {
      queuedBytes -= inFlightBytes;
      inFlightBytes = 0;
      return takeNextLocked();
    } finally {
      lock.unlock();
    }
  }

  /** Takes and starts the next item, or gives up the writer role when there is none. */
  private @Nullable T takeNextLocked() {
    Entry<T> entry = closed ? null : items.pollFirst();
    if (entry == null) {
      writing = false;
      return null;
    }
    if (entry.last()) {
      closed = true; // the last item is the last thing written
    }
    startLocked(entry.size());
    return entry.item();
  }

  private void startLocked(int size) {
    inFlightBytes = size;
    writeStartedAt = clock.nanoTime();
    phase = WRITING;
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
