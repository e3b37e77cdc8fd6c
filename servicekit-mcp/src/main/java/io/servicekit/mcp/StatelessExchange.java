package io.servicekit.mcp;

import io.servicekit.sse.SseEvent;
import io.servicekit.streamable.StreamClosedException;
import io.servicekit.streamable.StreamSession;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import org.jspecify.annotations.Nullable;
import tools.jackson.databind.JsonNode;

/**
 * One stateless (2026-07-28) request in flight: what its handler sends (notifications, then the
 * response) and how it goes back. The answer starts undecided; the response goes back as plain JSON
 * if it is ready before the handler sends anything and within the JSON wait, otherwise as an event
 * stream (so a long request's connection carries keep-alives and a client that leaves is noticed).
 * Closing that stream cancels the request: the handler's thread is interrupted and nothing more is
 * sent. No event ids, no replay: the revision has no resumption.
 */
final class StatelessExchange {
  /** Notifications held for a slow reader before the handler's sends wait. */
  static final int MAX_QUEUED = 256;

  private final ReentrantLock lock = new ReentrantLock();
  private final Condition changed = lock.newCondition();
  private final ArrayDeque<JsonNode> queue = new ArrayDeque<>(); // guarded by lock
  private @Nullable JsonNode response; // guarded by lock
  private boolean sse; // guarded by lock
  private boolean cancelled; // guarded by lock
  private boolean sent; // the response was handed to the client, guarded by lock
  private volatile @Nullable Thread worker;

  void worker(Thread t) {
    this.worker = t;
  }

  /**
   * Queues a notification (switching the answer to an event stream), waiting while {@link
   * #MAX_QUEUED} are unread. False once the request is cancelled.
   */
  boolean emit(JsonNode notification) throws InterruptedException {
    lock.lock();
    try {
      while (!cancelled && queue.size() >= MAX_QUEUED) {
        changed.await();
      }
      if (cancelled) {
        return false;
      }
      queue.add(notification);
      sse = true;
      changed.signalAll();
      return true;
    } finally {
      lock.unlock();
    }
  }

  /** The handler's response (sent unless the request was cancelled). */
  void complete(JsonNode r) {
    lock.lock();
    try {
      response = r;
      changed.signalAll();
    } finally {
      lock.unlock();
    }
  }

  /**
   * Waits until the response is ready (returned: send it as JSON) or the answer becomes an event
   * stream (null: run {@link #pump}) — the first notification, or {@code wait} passing.
   */
  @Nullable JsonNode awaitDecision(Duration wait) throws InterruptedException {
    long left = wait.toNanos();
    lock.lock();
    try {
      while (response == null && !sse) {
        if (left <= 0) {
          sse = true;
          break;
        }
        left = changed.awaitNanos(left);
      }
      if (sse) {
        return null;
      }
      sent = true;
      return response;
    } finally {
      lock.unlock();
    }
  }

  /** Writes the notifications and then the response to {@code sink}; the stream ends after it. */
  void pump(StreamSession sink) throws InterruptedException {
    sink.onClose(this::cancel);
    try {
      while (true) {
        List<JsonNode> batch = new ArrayList<>();
        JsonNode last = null;
        lock.lock();
        try {
          while (queue.isEmpty() && response == null && !cancelled) {
            changed.await();
          }
          if (cancelled) {
            return;
          }
          batch.addAll(queue);
          queue.clear();
          if (response != null) {
            last = response;
            sent = true;
          }
          changed.signalAll();
        } finally {
          lock.unlock();
        }
        for (JsonNode n : batch) {
          sink.send(SseEvent.of(null, null, 0, n.toString()));
        }
        if (last != null) {
          sink.send(SseEvent.of(null, null, 0, last.toString()));
          return;
        }
      }
    } catch (StreamClosedException | InterruptedException e) {
      cancel(); // the client went away: that is cancellation
    }
  }

  /** The client went away: interrupt the handler, drop what is queued, send nothing more. */
  void cancel() {
    lock.lock();
    try {
      if (sent) {
        return;
      }
      cancelled = true;
      queue.clear();
      changed.signalAll();
    } finally {
      lock.unlock();
    }
    interruptWorker();
  }

  void interruptWorker() {
    Thread t = worker;
    if (t != null) {
      lock.lock();
      try {
        if (response != null) {
          return;
        }
      } finally {
        lock.unlock();
      }
      t.interrupt();
    }
  }

  /** Waits until the response exists or the request was cancelled, at most until the deadline. */
  boolean awaitDone(long deadlineNanos) throws InterruptedException {
    lock.lock();
    try {
      while (response == null && !cancelled) {
        long left = deadlineNanos - System.nanoTime();
        if (left <= 0) {
          return false;
        }
        changed.await(Math.min(left, TimeUnit.SECONDS.toNanos(1)), TimeUnit.NANOSECONDS);
      }
      return true;
    } finally {
      lock.unlock();
    }
  }
}
