package io.servicekit.middleware;

import io.servicekit.internal.net.TokenBucket;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;
import org.jspecify.annotations.Nullable;

/**
 * Global and per-key token buckets ({@link RateLimitConfig}). {@link #check(String)} admits a
 * request when both the key's bucket and the global bucket have a token; a request refused by the
 * per-key limit does not spend a global token, and one refused by the global limit gives its
 * per-key token back (the Go library spent the global token either way: W-76).
 *
 * <p>Per-key buckets are created on first use. Keys are forgotten lazily, by the calls themselves:
 * no background thread, so nothing to stop. A sweep runs at most once per {@code keyIdleTtl} and
 * drops keys idle that long; when more than {@code maxKeys} are remembered a sweep also drops every
 * bucket that has refilled to its burst (such a bucket behaves exactly like a new one, so nothing
 * is lost). Thread-safe.
 */
public final class RateLimitPolicy {
  /** The outcome of {@link #check}: admitted, or refused with the wait until a retry can pass. */
  public record Decision(boolean allowed, Duration retryAfter, String limit) {
    static final Decision ALLOWED = new Decision(true, Duration.ZERO, "");

    /** {@link #retryAfter} rounded up to whole seconds, at least 1 (for {@code Retry-After}). */
    public long retryAfterSeconds() {
      long s = (retryAfter.toNanos() + 999_999_999L) / 1_000_000_000L;
      return Math.max(1, s);
    }
  }

  private final RateLimitConfig config;
  private final LongSupplier clock;
  private final @Nullable TokenBucket global; // null without a global limit

  private final ConcurrentHashMap<String, TokenBucket> keys = new ConcurrentHashMap<>();
  private final AtomicLong lastSweepNanos;

  /** A policy on the system clock. */
  public RateLimitPolicy(RateLimitConfig config) {
    this(config, System::nanoTime);
  }

  /** A policy on {@code nanoClock} (tests pass a fake clock). */
  public RateLimitPolicy(RateLimitConfig config, LongSupplier nanoClock) {
    this.config = Objects.requireNonNull(config, "config");
    this.clock = Objects.requireNonNull(nanoClock, "nanoClock");
    this.global =
        config.globalPerSec() > 0
            ? new TokenBucket(config.globalPerSec(), config.effectiveGlobalBurst(), nanoClock)
            : null;
    this.lastSweepNanos = new AtomicLong(nanoClock.getAsLong());
  }

  /** The configuration. */
  public RateLimitConfig config() {
    return config;
  }

  /** Admits or refuses one request for {@code key} (never null; use "" for "no key"). */
  public Decision check(String key) {
    Objects.requireNonNull(key, "key");
    sweepIfDue();
    TokenBucket bucket = null;
    if (config.perKeyPerSec() > 0) {
      bucket =
          keys.computeIfAbsent(
              key,
              k -> new TokenBucket(config.perKeyPerSec(), config.effectivePerKeyBurst(), clock));
      if (!bucket.tryTake()) {
        return new Decision(false, bucket.timeUntilToken(), "per-key");
      }
    }
    if (global != null && !global.tryTake()) {
      if (bucket != null) {
        bucket.giveBack();
      }
      return new Decision(false, global.timeUntilToken(), "global");
    }
    return Decision.ALLOWED;
  }

  /** Whether one request for {@code key} is admitted; see {@link #check}. */
  public boolean allow(String key) {
    return check(key).allowed();
  }

  /** Number of per-key buckets remembered now. */
  public int trackedKeys() {
    return keys.size();
  }

  /** Forgets idle keys now (normally done lazily by {@link #check}). */
  public void sweep() {
    long now = clock.getAsLong();
    lastSweepNanos.set(now);
    long ttl = config.keyIdleTtl().toNanos();
    boolean over = keys.size() > config.maxKeys();
    keys.entrySet()
        .removeIf(
            e -> now - e.getValue().lastUsedNanos() >= ttl || (over && e.getValue().isFull()));
  }

  private void sweepIfDue() {
    long now = clock.getAsLong();
    long last = lastSweepNanos.get();
    long ttl = config.keyIdleTtl().toNanos();
    // Over the key bound, sweep sooner, but at most once a second so a flood of new keys cannot
    // turn every check into a full scan.
    boolean due =
        now - last >= ttl
            || (keys.size() > config.maxKeys() && now - last >= Math.min(ttl, 1_000_000_000L));
    if (due && lastSweepNanos.compareAndSet(last, now)) {
      sweep();
    }
  }
}
