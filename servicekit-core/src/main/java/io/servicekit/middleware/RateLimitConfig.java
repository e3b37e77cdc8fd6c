package io.servicekit.middleware;

import java.time.Duration;
import java.util.Objects;

/**
 * Settings of a {@link RateLimitPolicy}. A rate of 0 switches that limit off. A burst of 0 means
 * "default": the rate rounded up, at least 1 (the Go library took the integer part of the rate, so
 * 0.5/s rejected everything, and a per-key burst left at 0 blocked every request: W-76).
 *
 * @param globalPerSec requests per second for all keys together; 0 = no global limit
 * @param globalBurst global bucket capacity; 0 = default
 * @param perKeyPerSec requests per second per key (e.g. client IP); 0 = no per-key limit
 * @param perKeyBurst per-key bucket capacity; 0 = default
 * @param keyIdleTtl a key not seen for this long is forgotten (its bucket would be full anyway)
 * @param maxKeys soft bound on remembered keys; beyond it full buckets are evicted at once
 */
public record RateLimitConfig(
    double globalPerSec,
    int globalBurst,
    double perKeyPerSec,
    int perKeyBurst,
    Duration keyIdleTtl,
    int maxKeys) {

  /** Validates every field, naming the one that is wrong. */
  public RateLimitConfig {
    requireRate("globalPerSec", globalPerSec);
    requireRate("perKeyPerSec", perKeyPerSec);
    if (globalBurst < 0) {
      throw new IllegalArgumentException("globalBurst must be >= 0 (0 = default): " + globalBurst);
    }
    if (perKeyBurst < 0) {
      throw new IllegalArgumentException("perKeyBurst must be >= 0 (0 = default): " + perKeyBurst);
    }
    Objects.requireNonNull(keyIdleTtl, "keyIdleTtl");
    if (keyIdleTtl.isNegative() || keyIdleTtl.isZero()) {
      throw new IllegalArgumentException("keyIdleTtl must be positive: " + keyIdleTtl);
    }
    if (maxKeys < 1) {
      throw new IllegalArgumentException("maxKeys must be >= 1: " + maxKeys);
    }
    if (globalPerSec == 0 && perKeyPerSec == 0) {
      throw new IllegalArgumentException(
          "rate limit with globalPerSec = 0 and perKeyPerSec = 0 limits nothing: set at least one");
    }
  }

  /**
   * The Go library's defaults: 100/s global, 5/s per key with a burst of 3, keys forgotten after 5
   * minutes idle; at most 100 000 keys remembered.
   */
  public static RateLimitConfig defaults() {
    return new RateLimitConfig(100, 0, 5, 3, Duration.ofMinutes(5), 100_000);
  }

  /** Only a per-key limit: {@code perSec} with burst {@code burst} (0 = default). */
  public static RateLimitConfig perKey(double perSec, int burst) {
    return new RateLimitConfig(0, 0, perSec, burst, Duration.ofMinutes(5), 100_000);
  }

  /** Only a global limit. */
  public static RateLimitConfig global(double perSec, int burst) {
    return new RateLimitConfig(perSec, burst, 0, 0, Duration.ofMinutes(5), 100_000);
  }

  /** This config with another idle TTL. */
  public RateLimitConfig withKeyIdleTtl(Duration ttl) {
    return new RateLimitConfig(globalPerSec, globalBurst, perKeyPerSec, perKeyBurst, ttl, maxKeys);
  }

  /** This config with another bound on remembered keys. */
  public RateLimitConfig withMaxKeys(int max) {
    return new RateLimitConfig(
        globalPerSec, globalBurst, perKeyPerSec, perKeyBurst, keyIdleTtl, max);
  }

  double effectiveGlobalBurst() {
    return effectiveBurst(globalPerSec, globalBurst);
  }

  double effectivePerKeyBurst() {
    return effectiveBurst(perKeyPerSec, perKeyBurst);
  }

  private static double effectiveBurst(double rate, int burst) {
    return burst > 0 ? burst : Math.max(1, Math.ceil(rate));
  }

  private static void requireRate(String name, double rate) {
    if (!(rate >= 0) || Double.isInfinite(rate)) {
      throw new IllegalArgumentException(name + " must be a finite number >= 0 (0 = off): " + rate);
    }
  }
}
