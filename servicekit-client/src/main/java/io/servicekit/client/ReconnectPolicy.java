package io.servicekit.client;

import io.servicekit.CloseStatus;
import java.time.Duration;
import java.util.Objects;
import java.util.Set;

/**
 * When and how fast a client reconnects: exponential backoff with jitter, capped, with an optional
 * limit on consecutive failed attempts. The attempt counter is reset by every successful open, so a
 * connection that worked for a while starts again from {@link #initialDelay()}.
 *
 * <p>Delay of attempt {@code n} (1-based): {@code base = min(maxDelay, initialDelay *
 * multiplier^(n-1))}, then a random {@code jitter} fraction of it is taken off: the delay lies in
 * {@code [base * (1 - jitter), base]} and never exceeds {@code maxDelay}.
 *
 * <p>WebSocket close codes that are retried by default ({@link #DEFAULT_RETRYABLE_CLOSE_CODES}):
 * 1001 going away, 1005 no status, 1006 abnormal (connection lost), 1011 internal error, 1012
 * service restart, 1013 try again later, 1014 bad gateway. Every other code — in particular 1000
 * (the server ended the conversation), 1002/1003/1007/1009 (the client sent something wrong; it
 * would again) and 1008 (policy violation) — ends the client. Failed handshakes are retried for
 * network errors, timeouts, HTTP 408, 429 and 5xx; any other HTTP status ends the client.
 *
 * <p>Immutable and thread-safe.
 */
public final class ReconnectPolicy {
  /** The close codes retried unless {@link Builder#retryableCloseCodes} says otherwise. */
  public static final Set<Integer> DEFAULT_RETRYABLE_CLOSE_CODES =
      Set.of(
          CloseStatus.GOING_AWAY,
          CloseStatus.NO_STATUS,
          CloseStatus.ABNORMAL,
          CloseStatus.INTERNAL_ERROR,
          CloseStatus.SERVICE_RESTART,
          CloseStatus.TRY_AGAIN_LATER,
          1014);

  private static final ReconnectPolicy NONE = new ReconnectPolicy(builder().enabled(false));

  private final boolean enabled;
  private final Duration initialDelay;
  private final Duration maxDelay;
  private final double multiplier;
  private final double jitter;
  private final int maxAttempts;
  private final Set<Integer> retryableCloseCodes;

  private ReconnectPolicy(Builder b) {
    this.enabled = b.enabled;
    this.initialDelay = b.initialDelay;
    this.maxDelay = b.maxDelay;
    this.multiplier = b.multiplier;
    this.jitter = b.jitter;
    this.maxAttempts = b.maxAttempts;
    this.retryableCloseCodes = Set.copyOf(b.retryableCloseCodes);
  }

  /** Never reconnect: the first close or failure ends the client. */
  public static ReconnectPolicy none() {
    return NONE;
  }

  /** The defaults: 500 ms doubling up to 30 s, 20 % jitter, unlimited attempts. */
  public static ReconnectPolicy exponential() {
    return builder().build();
  }

  public static Builder builder() {
    return new Builder();
  }

  public boolean enabled() {
    return enabled;
  }

  public Duration initialDelay() {
    return initialDelay;
  }

  public Duration maxDelay() {
    return maxDelay;
  }

  public double multiplier() {
    return multiplier;
  }

  public double jitter() {
    return jitter;
  }

  /** Consecutive failed attempts allowed before giving up; 0 means no limit. */
  public int maxAttempts() {
    return maxAttempts;
  }

  public Set<Integer> retryableCloseCodes() {
    return retryableCloseCodes;
  }

  /** Whether attempt number {@code attempt} (1-based, counted since the last open) may be made. */
  public boolean allows(int attempt) {
    return enabled && (maxAttempts == 0 || attempt <= maxAttempts);
  }

  /** Whether a connection closed with {@code code} should be re-established. */
  public boolean isRetryableClose(int code) {
    return enabled && retryableCloseCodes.contains(code);
  }

  /** Whether a handshake answered with HTTP {@code status} should be retried. */
  public boolean isRetryableStatus(int status) {
    return enabled && (status >= 500 || status == 408 || status == 429);
  }

  /**
   * The delay before attempt {@code attempt} (1-based).
   *
   * @param random a number in {@code [0, 1)} choosing the jitter
   */
  public Duration delay(int attempt, double random) {
    return delay(attempt, random, initialDelay);
  }

  /** {@link #delay(int, double)} growing from {@code base} instead of the initial delay. */
  Duration delay(int attempt, double random, Duration base) {
    if (attempt < 1) {
      throw new IllegalArgumentException("attempt must be at least 1: " + attempt);
    }
    double cap = Math.max(maxDelay.toNanos(), base.toNanos());
    double nanos = base.toNanos();
    for (int i = 1; i < attempt && nanos < cap; i++) {
      nanos *= multiplier;
    }
    nanos = Math.min(nanos, cap);
    nanos -= nanos * jitter * random;
    return Duration.ofNanos((long) nanos);
  }

  @Override
  public String toString() {
    return enabled
        ? "ReconnectPolicy[initial="
            + initialDelay
            + ", max="
            + maxDelay
            + ", x"
            + multiplier
            + ", jitter="
            + jitter
            + ", maxAttempts="
            + maxAttempts
            + "]"
        : "ReconnectPolicy[none]";
  }

  /** Builds a {@link ReconnectPolicy}; every setter validates its argument. */
  public static final class Builder {
    private boolean enabled = true;
    private Duration initialDelay = Duration.ofMillis(500);
    private Duration maxDelay = Duration.ofSeconds(30);
    private double multiplier = 2.0;
    private double jitter = 0.2;
    private int maxAttempts;
    private Set<Integer> retryableCloseCodes = DEFAULT_RETRYABLE_CLOSE_CODES;

    private Builder() {}

    Builder enabled(boolean v) {
      enabled = v;
      return this;
    }

    /** Delay before the first attempt after a drop (default 500 ms); must be positive. */
    public Builder initialDelay(Duration v) {
      initialDelay = positive("initialDelay", v);
      return this;
    }

    /** Upper bound of every delay (default 30 s); must be positive. */
    public Builder maxDelay(Duration v) {
      maxDelay = positive("maxDelay", v);
      return this;
    }

    /** Growth factor per failed attempt (default 2); must be at least 1. */
    public Builder multiplier(double v) {
      if (!(v >= 1.0) || Double.isInfinite(v)) {
        throw new IllegalArgumentException("multiplier must be a finite number >= 1: " + v);
      }
      multiplier = v;
      return this;
    }

    /** Fraction of the delay taken off at random, 0 (none) to 1 (full jitter); default 0.2. */
    public Builder jitter(double v) {
      if (!(v >= 0.0 && v <= 1.0)) {
        throw new IllegalArgumentException("jitter must be between 0 and 1: " + v);
      }
      jitter = v;
      return this;
    }

    /** Consecutive failed attempts before giving up; 0 (the default) means no limit. */
    public Builder maxAttempts(int v) {
      if (v < 0) {
        throw new IllegalArgumentException("maxAttempts must be >= 0: " + v);
      }
      maxAttempts = v;
      return this;
    }

    /**
     * The WebSocket close codes that cause a reconnect (default {@link
     * #DEFAULT_RETRYABLE_CLOSE_CODES}).
     */
    public Builder retryableCloseCodes(Set<Integer> v) {
      retryableCloseCodes = Set.copyOf(Objects.requireNonNull(v, "retryableCloseCodes"));
      return this;
    }

    public ReconnectPolicy build() {
      if (maxDelay.compareTo(initialDelay) < 0) {
        throw new IllegalArgumentException(
            "maxDelay ("
                + maxDelay
                + ") must not be less than initialDelay ("
                + initialDelay
                + ")");
      }
      return new ReconnectPolicy(this);
    }

    private static Duration positive(String name, Duration v) {
      Objects.requireNonNull(v, name);
      if (v.isNegative() || v.isZero()) {
        throw new IllegalArgumentException(name + " must be positive: " + v);
      }
      return v;
    }
  }
}
