package io.servicekit.props;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.Function;

/**
 * A small property-test runner on plain JUnit: runs a property a fixed number of times on values
 * drawn from a seeded generator, so every run (and CI) sees the same inputs, and on a failure
 * shrinks the input greedily before reporting it with the seed and the try that found it.
 *
 * <p>The seed and the number of tries are fixed in each test. For a longer local hunt, {@code
 * -Dservicekit.props.triesFactor=K} multiplies every property's tries and {@code
 * -Dservicekit.props.seed=S} replaces every property's seed; neither is set in the build.
 *
 * <pre>{@code
 * Prop.forAll("round trip", 42L, 200, Gen::string, Shrink::string, s -> assertThat(...));
 * }</pre>
 */
public final class Prop {
  /** The most shrinking steps tried before reporting the smallest failing input found. */
  private static final int MAX_SHRINK_STEPS = 3000;

  private Prop() {}

  /** Draws one value; {@code size} grows from small to the generator's maximum over the tries. */
  @FunctionalInterface
  public interface Gen<T> {
    T next(SplittableRandom random, int size);
  }

  /** The property: returns normally when it holds, throws (an assertion error) when it does not. */
  @FunctionalInterface
  public interface Check<T> {
    void check(T value) throws Exception;
  }

  /** Smaller candidates for a failing value, most promising first; none for "cannot shrink". */
  @FunctionalInterface
  public interface Shrinker<T> {
    List<T> candidates(T value);

    static <T> Shrinker<T> none() {
      return v -> List.of();
    }
  }

  /** {@link #forAll(String, long, int, Gen, Shrinker, Function, Check)} with {@code toString}. */
  public static <T> void forAll(
      String name, long seed, int tries, Gen<T> gen, Shrinker<T> shrinker, Check<T> check) {
    forAll(name, seed, tries, gen, shrinker, Prop::describe, check);
  }

  /** {@link #forAll} without shrinking. */
  public static <T> void forAll(String name, long seed, int tries, Gen<T> gen, Check<T> check) {
    forAll(name, seed, tries, gen, Shrinker.none(), Prop::describe, check);
  }

  /**
   * Runs {@code check} on {@code tries} values from {@code gen} seeded with {@code seed}.
   *
   * @throws AssertionError naming the property, the seed, the try and the (shrunk) input when the
   *     check fails for one of them
   */
  public static <T> void forAll(
      String name,
      long seed,
      int tries,
      Gen<T> gen,
      Shrinker<T> shrinker,
      Function<T, String> describe,
      Check<T> check) {
    long s = Long.getLong("servicekit.props.seed", seed);
    int n = tries * Integer.getInteger("servicekit.props.triesFactor", 1);
    SplittableRandom random = new SplittableRandom(s);
    for (int i = 0; i < n; i++) {
      // Sizes ramp up over the first half of the tries, then stay at the maximum (100).
      int size = Math.min(100, 1 + (i * 200) / Math.max(1, n));
      T value = gen.next(random, size);
      Throwable failure = run(check, value);
      if (failure != null) {
        T smallest = value;
        int steps = 0;
        boolean progress = true;
        while (progress && steps < MAX_SHRINK_STEPS) {
          progress = false;
          for (T candidate : shrinker.candidates(smallest)) {
            if (++steps > MAX_SHRINK_STEPS) {
              break;
            }
            Throwable f = run(check, candidate);
            if (f != null) {
              smallest = candidate;
              failure = f;
              progress = true;
              break;
            }
          }
        }
        throw new AssertionError(
            "property \""
                + name
                + "\" falsified at try "
                + (i + 1)
                + " of "
                + n
                + " (seed "
                + s
                + "L), shrunk in "
                + Math.min(steps, MAX_SHRINK_STEPS)
                + " steps to: "
                + describe.apply(smallest)
                + "\n  original: "
                + describe.apply(value)
                + "\n  failure: "
                + failure,
            failure);
      }
    }
  }

  private static <T> Throwable run(Check<T> check, T value) {
    try {
      check.check(value);
      return null;
    } catch (Throwable t) {
      if (t instanceof VirtualMachineError && !(t instanceof OutOfMemoryError)) {
        throw (VirtualMachineError) t;
      }
      return t;
    }
  }

  /** A readable rendering: strings and byte arrays as escaped literals, others by toString. */
  public static String describe(Object value) {
    if (value instanceof byte[] b) {
      return "bytes " + escape(new String(b, java.nio.charset.StandardCharsets.ISO_8859_1), true);
    }
    if (value instanceof String str) {
      return escape(str, false);
    }
    if (value instanceof List<?> list) {
      List<String> parts = new ArrayList<>();
      for (Object o : list) {
        parts.add(describe(o));
      }
      return parts.toString();
    }
    if (value instanceof int[] ints) {
      return Arrays.toString(ints);
    }
    if (value instanceof long[] longs) {
      return Arrays.toString(longs);
    }
    if (value instanceof Object[] arr) {
      return describe(Arrays.asList(arr));
    }
    return String.valueOf(value);
  }

  /** {@code s} as a Java literal; {@code bytes}: chars are bytes, shown as \xNN above 0x7e. */
  public static String escape(String s, boolean bytes) {
    StringBuilder out = new StringBuilder(s.length() + 2).append('"');
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '\r' -> out.append("\\r");
        case '\n' -> out.append("\\n");
        case '\t' -> out.append("\\t");
        case '"' -> out.append("\\\"");
        case '\\' -> out.append("\\\\");
        default -> {
          if (c < 0x20 || c == 0x7f || (bytes && c > 0x7e)) {
            out.append(
                bytes ? String.format("\\x%02x", (int) c) : String.format("\\u%04x", (int) c));
          } else if (!bytes && (c > 0x7e)) {
            out.append(String.format("\\u%04x", (int) c));
          } else {
            out.append(c);
          }
        }
      }
    }
    return out.append('"').toString();
  }
}
