package io.servicekit.internal;

import java.time.Duration;
import java.util.Objects;

/**
 * The one validator of settings, shared by every module's builders; not API (public only so that
 * the sibling modules can call it). Each method returns its value when it is good and otherwise
 * throws {@link IllegalArgumentException} naming the setting and the value, e.g. {@code pingPeriod
 * must be positive, was PT0S}. A {@code null} value throws {@link NullPointerException} with the
 * setting's name.
 */
public final class Check {
  private Check() {}

  /** {@code value} if it is longer than zero. */
  public static Duration positive(String setting, Duration value) {
    Objects.requireNonNull(value, setting);
    if (value.isNegative() || value.isZero()) {
      throw fail(setting, "must be positive", value);
    }
    return value;
  }

  /** {@code value} if it is zero (usually "off") or longer. */
  public static Duration notNegative(String setting, Duration value) {
    Objects.requireNonNull(value, setting);
    if (value.isNegative()) {
      throw fail(setting, "must be zero or positive", value);
    }
    return value;
  }

  /** {@code value} if it is at least one millisecond (the unit of an SSE {@code retry:} hint). */
  public static Duration atLeastOneMilli(String setting, Duration value) {
    Objects.requireNonNull(value, setting);
    if (value.toMillis() < 1) {
      throw fail(setting, "must be at least 1 ms", value);
    }
    return value;
  }

  /** {@code value} if it is above zero. */
  public static int positive(String setting, int value) {
    if (value <= 0) {
      throw fail(setting, "must be positive", value);
    }
    return value;
  }

  /** {@code value} if it is above zero. */
  public static long positive(String setting, long value) {
    if (value <= 0) {
      throw fail(setting, "must be positive", value);
    }
    return value;
  }

  /** {@code value} if it is zero or above. */
  public static int notNegative(String setting, int value) {
    if (value < 0) {
      throw fail(setting, "must be zero or positive", value);
    }
    return value;
  }

  /** {@code value} if it is zero or above. */
  public static long notNegative(String setting, long value) {
    if (value < 0) {
      throw fail(setting, "must be zero or positive", value);
    }
    return value;
  }

  /** {@code value} if it lies in {@code [min, max]}. */
  public static long inRange(String setting, long min, long max, long value) {
    if (value < min || value > max) {
      throw fail(setting, "must be " + min + " to " + max, value);
    }
    return value;
  }

  /** {@code value} if it is a finite number of zero or above. */
  public static double finiteNotNegative(String setting, double value) {
    if (!(value >= 0) || Double.isInfinite(value)) {
      throw fail(setting, "must be a finite number, zero or positive", value);
    }
    return value;
  }

  /** {@code value} if it is a finite number of at least {@code min}. */
  public static double finiteAtLeast(String setting, double min, double value) {
    if (!(value >= min) || Double.isInfinite(value)) {
      throw fail(setting, "must be a finite number of at least " + min, value);
    }
    return value;
  }

  /** {@code value} if it is neither {@code null} nor blank. */
  public static String notBlank(String setting, String value) {
    Objects.requireNonNull(value, setting);
    if (value.isBlank()) {
      throw fail(setting, "must not be blank", "\"" + value + "\"");
    }
    return value;
  }

  /** The exception for {@code setting} whose {@code value} breaks {@code rule}. */
  public static IllegalArgumentException fail(String setting, String rule, Object value) {
    return new IllegalArgumentException(setting + " " + rule + ", was " + value);
  }
}
