package io.servicekit;

import io.servicekit.spi.Transport;
import java.util.ArrayDeque;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.ReentrantLock;

/**
 * One connection's outgoing frames: a byte budget, a single writer and at most one frame in flight.
 *
 * <p>Whoever finds the writer idle becomes the writer and drains the queue. A write that the
 * transport completes synchronously continues the loop in the same thread (no recursion); one that
 * completes later continues it in the completion's thread. No lock is held across a transport call.
 */
final class OutgoingQueue {
  /** What became of an offered frame. */
  enum Offer {
    QUEUED,
    /** DROP_NEWEST refused it. */
    DROPPED,
    /** CLOSE policy: the budget is exceeded and the connection must close. */
    OVERFLOW,
    CLOSED
  }

  /** Receives write failures and the start of each write (for the write watchdog). */
  interface Listener {
    void writeStarted(long nanoTime);

    void writeFailed(Throwable cause);
  }

  private static final int WRITING = 0;
  private static final int DONE = 1;
  private static final int ASYNC = 2;

  private final ReentrantLock lock = new ReentrantLock();
  private final Transport transport;
  private final Scheduler clock;
  private final Listener listener;
  private final long maxBytes;

  // Guarded by lock.
  private final ArrayDeque<Object> items = new ArrayDeque<>(); // Frame or CloseStatus
  private long queuedBytes; // includes the in-flight frame
  private long inFlightBytes;
  private boolean writing; // a writer owns the drain loop
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

  OutgoingQueue(Transport transport, Scheduler clock, long maxBytes, Listener listener) {
    this.transport = transport;
    this.clock = clock;
    this.maxBytes = maxBytes;
    this.listener = listener;
  }

  Offer offer(Frame frame, SlowConsumerPolicy policy) {
    int size = frame.size();
    lock.lock();
    try {
      if (closed) {
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
            while (queuedBytes + size > maxBytes && items.peekFirst() instanceof Frame old) {
              items.pollFirst();
              queuedBytes -= old.size();
              dropped++;
            }
            if (queuedBytes + size > maxBytes) {
              dropped++;
              return Offer.DROPPED; // bigger than the budget left beside the in-flight frame
            }
          }
        }
      }
      items.addLast(frame);
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

  /** Queues a close frame after everything already queued; later offers are refused. */
  void offerClose(CloseStatus status) {
    lock.lock();
    try {
      if (closed) {
        return;
      }
      items.addLast(status);
      if (writing) {
        return;
      }
      writing = true;
    } finally {
      lock.unlock();
    }
    drain();
  }

  /** Discards everything queued and refuses further frames. */
  void clear() {
    lock.lock();
    try {
      closed = true;
      items.clear();
      queuedBytes = inFlightBytes;
    } finally {
      lock.unlock();
    }
  }

  long queuedBytes() {
    lock.lock();
    try {
      return queuedBytes;
    } finally {
      lock.unlock();
    }
  }

  long dropped() {
    lock.lock();
    try {
      return dropped;
    } finally {
      lock.unlock();
    }
  }

  /** The start time of the write in flight, or -1 when none is. */
  long inFlightSince() {
    lock.lock();
    try {
      return writing && phase.get() != DONE ? writeStartedAt : -1;
    } finally {
      lock.unlock();
    }
  }

  private void drain() {
    while (true) {
      Object item;
      lock.lock();
      try {
        item = closed ? null : items.pollFirst();
        if (item == null) {
          writing = false;
          return;
        }
        if (item instanceof CloseStatus) {
          closed = true; // the close frame is the last thing written
        }
        inFlightBytes = item instanceof Frame f ? f.size() : 0;
        writeStartedAt = clock.nanoTime();
        phase.set(WRITING);
      } finally {
        lock.unlock();
      }
      listener.writeStarted(writeStartedAt);
      try {
        switch (item) {
          case Frame.Text t -> transport.sendText(t.text(), completion);
          case Frame.Binary b -> transport.sendBinary(b.bytes(), completion);
          case CloseStatus s -> transport.sendClose(s.code(), s.reason(), completion);
          default -> throw new IllegalStateException("unexpected queue item " + item);
        }
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
