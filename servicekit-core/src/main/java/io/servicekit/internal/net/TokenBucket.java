package io.servicekit.internal.net;

import java.time.Duration;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.LongSupplier;

/**
 * A token bucket: holds up to {@code burst} tokens, refills continuously at {@code ratePerSecond}
 * (fractions allowed: 0.5 is one token every two seconds), starts full, and each admitted request
 * takes one token. Thread-safe; time comes from a nanosecond clock so tests can drive it.
 *
 * <p>Unlike the Go library (W-76), the burst is never below one token, so a rate under 1/s admits a
 * request every {@code 1/rate} seconds instead of rejecting everything.
 */
public final class TokenBucket {
  private final double ratePerNano;
  private final double burst;
  private final LongSupplier clock;
  private final ReentrantLock lock = new ReentrantLock();
  private double tokens; // guarded by lock
  private long updatedNanos; // guarded by lock
  private volatile long lastUsedNanos;

  /**
   * A full bucket.
   *
   * @param ratePerSecond refill rate, tokens per second; must be finite and positive
   * @param burst capacity; must be at least 1
   * @param nanoClock monotonic clock in nanoseconds, e.g. {@code System::nanoTime}
   */
  public TokenBucket(double ratePerSecond, double burst, LongSupplier nanoClock) {
    if (!(ratePerSecond > 0) || Double.isInfinite(ratePerSecond)) {
      throw new IllegalArgumentException(
          "token bucket rate must be a positive number of tokens per second: " + ratePerSecond);
    }
    if (!(burst >= 1) || Double.isInfinite(burst)) {
      throw new IllegalArgumentException("token bucket burst must be at least 1: " + burst);
    }
    this.ratePerNano = ratePerSecond / 1e9;
    this.burst = burst;
    this.clock = nanoClock;
    this.tokens = burst;
    this.updatedNanos = nanoClock.getAsLong();
    this.lastUsedNanos = updatedNanos;
  }

  /** Takes one token if there is one. */
  public boolean tryTake() {
    lock.lock();
    try {
      long now = refill();
      lastUsedNanos = now;
      if (tokens >= 1) {
        tokens -= 1;
        return true;
      }
      return false;
    } finally {
      lock.unlock();
    }
  }

  /** Puts back one token taken by {@link #tryTake()} (never above the burst). */
  public void giveBack() {
    lock.lock();
    try {
      tokens = Math.min(burst, tokens + 1);
    } finally {
      lock.unlock();
    }
  }

  /** How long until one token is available; zero if one is available now. */
  public Duration timeUntilToken() {
    lock.lock();
    try {
      refill();
      return tokens >= 1
          ? Duration.ZERO
          : Duration.ofNanos((long) Math.ceil((1 - tokens) / ratePerNano));
    } finally {
      lock.unlock();
    }
  }

  /** Tokens available now (fractional). */
  public double available() {
    lock.lock();
    try {
      refill();
      return tokens;
    } finally {
      lock.unlock();
    }
  }

  /** Whether the bucket has refilled to its burst: such a bucket equals a new one. */
  public boolean isFull() {
    return available() >= burst;
  }

  /** The clock reading of the last {@link #tryTake()} (or of creation). */
  public long lastUsedNanos() {
    return lastUsedNanos;
  }

  private long refill() {
    long now = clock.getAsLong();
    long elapsed = now - updatedNanos;
    if (elapsed > 0) {
      tokens = Math.min(burst, tokens + elapsed * ratePerNano);
      updatedNanos = now;
    }
    return now;
  }
}
