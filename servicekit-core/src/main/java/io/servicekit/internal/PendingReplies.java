package io.servicekit.internal;

import io.servicekit.Scheduler;
import io.servicekit.channel.ReplyException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.jspecify.annotations.Nullable;

/**
 * The unanswered requests of one connection, by id: each {@link #open} gives the next positive id
 * and a future that the matching reply completes ({@link #complete}, {@link #fail}), its timeout
 * fails ({@link ReplyException} code {@code timeout}), {@link #failAll} or {@link #close} fails, or
 * its holder cancels. However it ends, the entry is removed at once. A reply for an id that is not
 * pending (late after a timeout, a duplicate, never sent) is refused and counted ({@link #late()}).
 * Not API (public only so that the sibling modules can share it). Thread-safe.
 *
 * @param <T> the reply value
 */
public final class PendingReplies<T> {
  /** Largest id: the largest integer a JSON number carries exactly (2^53 - 1). */
  public static final long MAX_ID = (1L << 53) - 1;

  private final Scheduler scheduler;
  private final int maxPending;
  private final Map<Long, Pending<T>> pending = new ConcurrentHashMap<>();
  private final AtomicInteger count = new AtomicInteger();
  private final AtomicLong nextId = new AtomicLong();
  private final AtomicLong late = new AtomicLong();
  private final AtomicReference<Throwable> closed = new AtomicReference<>();

  /**
   * @param scheduler runs the timeouts
   * @param maxPending most requests unanswered at once
   */
  public PendingReplies(Scheduler scheduler, int maxPending) {
    this.scheduler = Objects.requireNonNull(scheduler, "scheduler");
    this.maxPending = Check.positive("maxPending", maxPending);
  }

  /**
   * One unanswered request.
   *
   * @param id its id on the wire
   * @param future completed by the reply, failed by an error reply, a timeout or a close
   * @param <T> the reply value
   */
  public record Pending<T>(long id, CompletableFuture<T> future) {}

  /**
   * Registers a new request that fails with {@code timeout} unless answered within {@code timeout}.
   * After {@link #close}, the returned future has already failed with the close's cause (check
   * {@code future().isDone()} before sending).
   *
   * @throws ReplyException code {@code limit} when {@code maxPending} requests are unanswered
   */
  public Pending<T> open(Duration timeout) {
    Check.positive("timeout", timeout);
    long id = nextId.updateAndGet(i -> i >= MAX_ID ? 1 : i + 1);
    CompletableFuture<T> future = new CompletableFuture<>();
    Pending<T> entry = new Pending<>(id, future);
    Throwable cause = closed.get();
    if (cause != null) {
      future.completeExceptionally(cause);
      return entry;
    }
    if (count.incrementAndGet() > maxPending) {
      count.decrementAndGet();
      throw new ReplyException(
          ReplyException.LIMIT, "too many unanswered requests: maxPending is " + maxPending);
    }
    pending.put(id, entry);
    Scheduler.Cancellable timer =
        scheduler.schedule(
            () ->
                future.completeExceptionally(
                    new ReplyException(
                        ReplyException.TIMEOUT,
                        "no reply to request " + id + " within " + timeout)),
            timeout);
    future.whenComplete(
        (v, e) -> {
          timer.cancel();
          if (pending.remove(id, entry)) {
            count.decrementAndGet();
          }
        });
    // close() may have run between the check above and the put: fail what it missed
    cause = closed.get();
    if (cause != null) {
      future.completeExceptionally(cause);
    }
    return entry;
  }

  /**
   * Answers request {@code id} with {@code value}.
   *
   * @return false (and counted as late) if {@code id} is not pending
   */
  public boolean complete(long id, @Nullable T value) {
    Pending<T> entry = pending.get(id);
    if (entry == null || !entry.future().complete(value)) {
      late.incrementAndGet();
      return false;
    }
    return true;
  }

  /**
   * Answers request {@code id} with an error.
   *
   * @return false (and counted as late) if {@code id} is not pending
   */
  public boolean fail(long id, Throwable error) {
    Objects.requireNonNull(error, "error");
    Pending<T> entry = pending.get(id);
    if (entry == null || !entry.future().completeExceptionally(error)) {
      late.incrementAndGet();
      return false;
    }
    return true;
  }

  /**
   * Fails every pending request with {@code error}; later ones may still be opened.
   *
   * @return how many were failed
   */
  public int failAll(Throwable error) {
    Objects.requireNonNull(error, "error");
    List<Pending<T>> all = new ArrayList<>(pending.values());
    int failed = 0;
    for (Pending<T> entry : all) {
      if (entry.future().completeExceptionally(error)) {
        failed++;
      }
    }
    return failed;
  }

  /**
   * Fails every pending request with {@code cause}, and every later {@link #open} too (the
   * connection closed); idempotent (the first cause stays).
   *
   * @return how many were failed
   */
  public int close(Throwable cause) {
    Objects.requireNonNull(cause, "cause");
    closed.compareAndSet(null, cause);
    Throwable first = closed.get(); // never null again once set
    return failAll(first != null ? first : cause);
  }

  /** How many requests are unanswered. */
  public int pending() {
    return count.get();
  }

  /** How many replies came for ids that were not pending. */
  public long late() {
    return late.get();
  }
}
