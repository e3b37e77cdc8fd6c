package io.servicekit.middleware;

import io.servicekit.internal.Check;
import java.time.Duration;
import java.util.Objects;

/**
 * Settings of a {@link RateLimitPolicy}, immutable and validated as they are set. A rate of 0
 * switches that limit off. A burst of 0 means "default": the rate rounded up, at least 1 (the Go
 * library took the integer part of the rate, so 0.5/s rejected everything, and a per-key burst left
 * at 0 blocked every request: W-76).
 *
 * <table>
 * <caption>Defaults (the Go library's)</caption>
 * <tr><th>setting</th><th>default</th></tr>
 * <tr><td>{@link #globalPerSec()}</td><td>100 requests per second for all keys together; 0 = no global limit</td></tr>
 * <tr><td>{@link #globalBurst()}</td><td>0 (default: the rate rounded up)</td></tr>
 * <tr><td>{@link #perKeyPerSec()}</td><td>5 requests per second per key (e.g. client IP); 0 = no per-key limit</td></tr>
 * <tr><td>{@link #perKeyBurst()}</td><td>3</td></tr>
 * <tr><td>{@link #keyIdleTtl()}</td><td>5 min: a key not seen for this long is forgotten (its bucket would be full anyway)</td></tr>
 * <tr><td>{@link #maxKeys()}</td><td>100 000: soft bound on remembered keys; beyond it full buckets are evicted at once</td></tr>
 * </table>
 *
 * <p>{@link #perKey(double, int)} and {@link #global(double, int)} are short forms for a single
 * limit; {@link #toBuilder()} changes one setting of an existing config.
 */
public final class RateLimitConfig {
  private static final RateLimitConfig DEFAULTS = builder().build();

  private final double globalPerSec;
  private final int globalBurst;
  private final double perKeyPerSec;
  private final int perKeyBurst;
  private final Duration keyIdleTtl;
  private final int maxKeys;

  private RateLimitConfig(Builder b) {
    this.globalPerSec = b.globalPerSec;
    this.globalBurst = b.globalBurst;
    this.perKeyPerSec = b.perKeyPerSec;
    this.perKeyBurst = b.perKeyBurst;
    this.keyIdleTtl = b.keyIdleTtl;
    this.maxKeys = b.maxKeys;
  }

  /**
   * The Go library's defaults: 100/s global, 5/s per key with a burst of 3, keys forgotten after 5
   * minutes idle; at most 100 000 keys remembered.
   */
  public static RateLimitConfig defaults() {
    return DEFAULTS;
  }

  /** A builder holding the {@linkplain #defaults() defaults}. */
  public static Builder builder() {
    return new Builder();
  }

  /** A builder that starts from this configuration. */
  public Builder toBuilder() {
    Builder b = new Builder();
    b.globalPerSec = globalPerSec;
    b.globalBurst = globalBurst;
    b.perKeyPerSec = perKeyPerSec;
    b.perKeyBurst = perKeyBurst;
    b.keyIdleTtl = keyIdleTtl;
    b.maxKeys = maxKeys;
    return b;
  }

  /** Only a per-key limit: {@code perSec} with burst {@code burst} (0 = default). */
  public static RateLimitConfig perKey(double perSec, int burst) {
    return builder().globalPerSec(0).perKeyPerSec(perSec).perKeyBurst(burst).build();
  }

  /** Only a global limit: {@code perSec} with burst {@code burst} (0 = default). */
  public static RateLimitConfig global(double perSec, int burst) {
    return builder().globalPerSec(perSec).globalBurst(burst).perKeyPerSec(0).perKeyBurst(0).build();
  }

  /** Requests per second for all keys together; 0 = no global limit. */
  public double globalPerSec() {
    return globalPerSec;
  }

  /** Global bucket capacity; 0 = default (the rate rounded up, at least 1). */
  public int globalBurst() {
    return globalBurst;
  }

  /** Requests per second per key; 0 = no per-key limit. */
  public double perKeyPerSec() {
    return perKeyPerSec;
  }

  /** Per-key bucket capacity; 0 = default (the rate rounded up, at least 1). */
  public int perKeyBurst() {
    return perKeyBurst;
  }

  /** A key not seen for this long is forgotten. */
  public Duration keyIdleTtl() {
    return keyIdleTtl;
  }

  /** Soft bound on remembered keys. */
  public int maxKeys() {
    return maxKeys;
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

  @Override
  public boolean equals(Object o) {
    return o instanceof RateLimitConfig c
        && Double.compare(globalPerSec, c.globalPerSec) == 0
        && globalBurst == c.globalBurst
        && Double.compare(perKeyPerSec, c.perKeyPerSec) == 0
        && perKeyBurst == c.perKeyBurst
        && keyIdleTtl.equals(c.keyIdleTtl)
        && maxKeys == c.maxKeys;
  }

  @Override
  public int hashCode() {
    return Objects.hash(globalPerSec, globalBurst, perKeyPerSec, perKeyBurst, keyIdleTtl, maxKeys);
  }

  @Override
  public String toString() {
    return "RateLimitConfig[globalPerSec="
        + globalPerSec
        + ", globalBurst="
        + globalBurst
        + ", perKeyPerSec="
        + perKeyPerSec
        + ", perKeyBurst="
        + perKeyBurst
        + ", keyIdleTtl="
        + keyIdleTtl
        + ", maxKeys="
        + maxKeys
        + "]";
  }

  /**
   * Builds a {@link RateLimitConfig}; unset values take the defaults. Each setter refuses a bad
   * value at once, naming the setting and the value.
   */
  public static final class Builder {
    private double globalPerSec = 100;
    private int globalBurst;
    private double perKeyPerSec = 5;
    private int perKeyBurst = 3;
    private Duration keyIdleTtl = Duration.ofMinutes(5);
    private int maxKeys = 100_000;

    private Builder() {}

    /** Requests per second for all keys together (default 100); 0 switches the limit off. */
    public Builder globalPerSec(double v) {
      globalPerSec = Check.finiteNotNegative("globalPerSec", v);
      return this;
    }

    /** Global bucket capacity (default 0: the rate rounded up, at least 1). */
    public Builder globalBurst(int v) {
      globalBurst = Check.notNegative("globalBurst", v);
      return this;
    }

    /** Requests per second per key (default 5); 0 switches the limit off. */
    public Builder perKeyPerSec(double v) {
      perKeyPerSec = Check.finiteNotNegative("perKeyPerSec", v);
      return this;
    }

    /** Per-key bucket capacity (default 3; 0: the rate rounded up, at least 1). */
    public Builder perKeyBurst(int v) {
      perKeyBurst = Check.notNegative("perKeyBurst", v);
      return this;
    }

    /** A key not seen for this long is forgotten (default 5 min); must be positive. */
    public Builder keyIdleTtl(Duration v) {
      keyIdleTtl = Check.positive("keyIdleTtl", v);
      return this;
    }

    /** Soft bound on remembered keys (default 100 000); must be positive. */
    public Builder maxKeys(int v) {
      maxKeys = Check.positive("maxKeys", v);
      return this;
    }

    /**
     * The config.
     *
     * @throws IllegalArgumentException if both rates are 0 (such a limit limits nothing)
     */
    public RateLimitConfig build() {
      if (globalPerSec == 0 && perKeyPerSec == 0) {
        throw new IllegalArgumentException(
            "rate limit with globalPerSec = 0 and perKeyPerSec = 0 limits nothing: set at least"
                + " one");
      }
      return new RateLimitConfig(this);
    }
  }
}
