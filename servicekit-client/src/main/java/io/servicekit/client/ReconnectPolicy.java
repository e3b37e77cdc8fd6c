package io.servicekit.client;

import io.servicekit.CloseStatus;
import io.servicekit.internal.Check;
import java.time.Duration;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.Objects;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * When and how fast a client reconnects: exponential backoff with full jitter, capped, with an
 * optional limit on consecutive failed attempts. The attempt counter is reset by every successful
 * open, so a connection that worked for a while starts again from {@link #initialDelay()}. This is
 * the client contract of docs/clients.md, shared with the JavaScript client and checked against
 * {@code test-vectors/clients/}.
 *
 * <p>Delay of attempt {@code n} (1-based): a uniformly random value in {@code [0, min(maxDelay,
 * initialDelay * multiplier^(n-1)))}, in whole milliseconds ("full jitter": clients dropped at once
 * do not come back at once). A wait the server asked for ({@code Retry-After}, an SSE {@code
 * retry:}) is a floor.
 *
 * <p>WebSocket close codes that are retried by default ({@link #DEFAULT_RETRYABLE_CLOSE_CODES}):
 * 1001 going away, 1005 no status, 1006 abnormal (connection lost), 1011 internal error, 1012
 * service restart, 1013 try again later, 1014 bad gateway. Every other code — in particular 1000
 * (the server ended the conversation), 1002/1003/1007/1009 (the client sent something wrong; it
 * would again), 1008 (policy violation) and the application codes 3000-4999 (opt in per code with
 * {@link Builder#retryableCloseCodes}) — ends the client. Failed handshakes are retried for network
 * errors, timeouts, HTTP 408, 429 and 5xx; any other HTTP status ends the client.
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
  private final int maxAttempts;
  private final Set<Integer> retryableCloseCodes;

  private ReconnectPolicy(Builder b) {
    this.enabled = b.enabled;
    this.initialDelay = b.initialDelay;
    this.maxDelay = b.maxDelay;
    this.multiplier = b.multiplier;
    this.maxAttempts = b.maxAttempts;
    this.retryableCloseCodes = Set.copyOf(b.retryableCloseCodes);
  }

  /** Never reconnect: the first close or failure ends the client. */
  public static ReconnectPolicy none() {
    return NONE;
  }

  /** The defaults: 500 ms doubling up to 30 s, full jitter, unlimited attempts. */
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
   * The delay before attempt {@code attempt} (1-based): {@code floor(random * min(maxDelay,
   * initialDelay * multiplier^(attempt-1)))} milliseconds.
   *
   * @param random a number in {@code [0, 1)} choosing the point in the window
   */
  public Duration delay(int attempt, double random) {
    return delay(attempt, random, initialDelay, Duration.ZERO);
  }

  /**
   * {@link #delay(int, double)} growing from {@code base} instead of the initial delay (the cap is
   * raised to {@code base} if lower), and never shorter than {@code floor}.
   */
  Duration delay(int attempt, double random, Duration base, Duration floor) {
    long baseMillis = base.toMillis();
    return Duration.ofMillis(
        delayMillis(
            attempt,
            random,
            baseMillis,
            Math.max(maxDelay.toMillis(), baseMillis),
            multiplier,
            floor.toMillis()));
  }

  /**
   * The contract's backoff (docs/clients.md, {@code test-vectors/clients/backoff.json}): {@code
   * max(floor, floor(random * min(cap, base * factor^(attempt-1))))} milliseconds.
   */
  static long delayMillis(
      int attempt, double random, long base, long cap, double factor, long floor) {
    if (attempt < 1) {
      throw new IllegalArgumentException("attempt must be at least 1 (1-based): " + attempt);
    }
    // a random source outside [0, 1) must not stop a reconnect: clamp it into the window
    double r = random >= 0 ? Math.min(random, Math.nextDown(1.0)) : 0;
    // base 0 means no wait: 0 * Infinity would be NaN once the power overflows
    double bound = base <= 0 ? 0 : Math.min(cap, base * Math.pow(factor, attempt - 1));
    return Math.max(floor, (long) Math.floor(r * bound));
  }

  /**
   * The wait an HTTP {@code Retry-After} asks for, in milliseconds: delta-seconds or an HTTP date
   * (relative to {@code nowMillis}); 0 when absent, malformed or past.
   */
  static long retryAfterMillis(@Nullable String value, long nowMillis) {
    if (value == null) {
      return 0;
    }
    String v = value.trim();
    if (!v.isEmpty() && v.chars().allMatch(c -> c >= '0' && c <= '9')) {
      try {
        return Math.multiplyExact(Long.parseLong(v), 1000L);
      } catch (ArithmeticException | NumberFormatException e) {
        return Long.MAX_VALUE / 2;
      }
    }
    try {
      long at =
          ZonedDateTime.parse(v, DateTimeFormatter.RFC_1123_DATE_TIME).toInstant().toEpochMilli();
      return Math.max(0, at - nowMillis);
    } catch (DateTimeParseException e) {
      return 0;
    }
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
            + ", full jitter, maxAttempts="
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
    private int maxAttempts;
    private Set<Integer> retryableCloseCodes = DEFAULT_RETRYABLE_CLOSE_CODES;

    private Builder() {}

    Builder enabled(boolean v) {
      enabled = v;
      return this;
    }

    /** Delay before the first attempt after a drop (default 500 ms); must be positive. */
    public Builder initialDelay(Duration v) {
      initialDelay = Check.positive("initialDelay", v);
      return this;
    }

    /** Upper bound of every delay (default 30 s); must be positive. */
    public Builder maxDelay(Duration v) {
      maxDelay = Check.positive("maxDelay", v);
      return this;
    }

    /** Growth factor per failed attempt (default 2); must be at least 1. */
    public Builder multiplier(double v) {
      multiplier = Check.finiteAtLeast("multiplier", 1.0, v);
      return this;
    }

    /** Consecutive failed attempts before giving up; 0 (the default) means no limit. */
    public Builder maxAttempts(int v) {
      maxAttempts = Check.notNegative("maxAttempts", v);
      return this;
    }

    /**
     * The WebSocket close codes that cause a reconnect (default {@link
     * #DEFAULT_RETRYABLE_CLOSE_CODES}). The set replaces the default one: to opt in to an
     * application code such as 4000, pass the defaults plus that code.
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
  }
}
