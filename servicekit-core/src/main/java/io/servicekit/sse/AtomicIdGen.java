package io.servicekit.sse;

import java.util.concurrent.atomic.AtomicLong;

/**
 * Decimal ids from an atomic counter: {@code "1"}, {@code "2"}, {@code "3"}, ... (the Go library's
 * {@code AtomicIDGen}). Thread-safe and lock-free.
 */
public final class AtomicIdGen implements IdGen {
  private final AtomicLong last;

  /** A generator whose first id is {@code "1"}. */
  public AtomicIdGen() {
    this(0);
  }

  /**
   * A generator whose first id is {@code lastIssued + 1}, to continue a sequence.
   *
   * @throws IllegalArgumentException if {@code lastIssued} is negative
   */
  public AtomicIdGen(long lastIssued) {
    if (lastIssued < 0) {
      throw new IllegalArgumentException("lastIssued must not be negative: " + lastIssued);
    }
    this.last = new AtomicLong(lastIssued);
  }

  @Override
  public String next() {
    return Long.toString(last.incrementAndGet());
  }

  @Override
  public String toString() {
    return "AtomicIdGen[last=" + last.get() + "]";
  }
}
