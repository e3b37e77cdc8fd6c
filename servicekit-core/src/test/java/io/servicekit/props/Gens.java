package io.servicekit.props;

import java.io.ByteArrayOutputStream;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeSet;

/**
 * Generators and shrinkers for {@link Prop}: text with every kind of character that breaks parsers
 * (controls, CR/LF, NUL, quotes and backslashes, BOM, U+2028, non-BMP pairs, optionally lone
 * surrogates), byte soups built from a protocol's tokens, JSON values, and ways to cut a byte
 * stream into chunks.
 */
public final class Gens {
  private Gens() {}

  private static final String[] SPECIAL = {
    "\r",
    "\n",
    "\r\n",
    "\0",
    "\t",
    "\u001b",
    "\u007f",
    "\"",
    "\\",
    "/",
    ":",
    " ",
    "\uFEFF",
    "\u2028",
    "\u2029",
    "\uFFFD",
    "\u0085",
    "\u00e9",
    "\u20ac",
    "\u4e2d",
    "\uD83D\uDE00",
    "\uD800\uDC00",
    "\uDBFF\uDFFF"
  };

  /** Arbitrary valid text (surrogates only in pairs) of up to {@code size} chars. */
  public static String string(SplittableRandom r, int size) {
    return string(r, size, false);
  }

  /** Arbitrary text; with {@code loneSurrogates} also unpaired surrogate chars. */
  public static String string(SplittableRandom r, int size, boolean loneSurrogates) {
    int len = r.nextInt(size + 1);
    StringBuilder out = new StringBuilder(len);
    while (out.length() < len) {
      appendChar(r, out, loneSurrogates);
    }
    return out.toString();
  }

  /** One character (or pair) of an arbitrary kind appended to {@code out}. */
  public static void appendChar(SplittableRandom r, StringBuilder out, boolean loneSurrogates) {
    switch (r.nextInt(loneSurrogates ? 8 : 7)) {
      case 0, 1 -> out.append((char) ('a' + r.nextInt(26)));
      case 2 -> out.append((char) (0x20 + r.nextInt(0x5f)));
      case 3 -> out.append((char) r.nextInt(0x20));
      case 4 -> out.append(SPECIAL[r.nextInt(SPECIAL.length)]);
      case 5 -> {
        char c;
        do {
          c = (char) (0x80 + r.nextInt(0xFFFF - 0x80));
        } while (Character.isSurrogate(c));
        out.append(c);
      }
      case 6 -> out.appendCodePoint(0x10000 + r.nextInt(0x10FFFF - 0x10000 + 1));
      default -> out.append((char) (0xD800 + r.nextInt(0x800)));
    }
  }

  /** Text made of {@code tokens} and arbitrary characters, up to about {@code size} pieces. */
  public static String tokenSoup(SplittableRandom r, int size, String[] tokens) {
    int pieces = r.nextInt(size + 1);
    StringBuilder out = new StringBuilder();
    for (int i = 0; i < pieces; i++) {
      if (r.nextInt(4) == 0) {
        appendChar(r, out, false);
      } else {
        out.append(tokens[r.nextInt(tokens.length)]);
      }
    }
    return out.toString();
  }

  /**
   * Bytes: uniformly random, or UTF-8 of {@link #tokenSoup}, or that with some bytes replaced by
   * arbitrary ones (invalid UTF-8 included).
   */
  public static byte[] bytes(SplittableRandom r, int size, String[] tokens) {
    switch (r.nextInt(3)) {
      case 0 -> {
        byte[] b = new byte[r.nextInt(size * 2 + 1)];
        r.nextBytes(b);
        return b;
      }
      case 1 -> {
        return tokenSoup(r, size, tokens).getBytes(StandardCharsets.UTF_8);
      }
      default -> {
        byte[] b = tokenSoup(r, size, tokens).getBytes(StandardCharsets.UTF_8);
        for (int i = 0, n = r.nextInt(4); i < n && b.length > 0; i++) {
          b[r.nextInt(b.length)] = (byte) r.nextInt(256);
        }
        return b;
      }
    }
  }

  /**
   * Cut positions for a stream of {@code length} bytes: sorted, distinct, inside {@code (0,
   * length)}; sometimes every position (one-byte chunks), sometimes none.
   */
  public static int[] cuts(SplittableRandom r, int length) {
    if (length <= 1) {
      return new int[0];
    }
    int mode = r.nextInt(6);
    if (mode == 0) {
      return new int[0];
    }
    if (mode == 1) {
      int[] all = new int[length - 1];
      for (int i = 0; i < all.length; i++) {
        all[i] = i + 1;
      }
      return all;
    }
    TreeSet<Integer> set = new TreeSet<>();
    int n = 1 + r.nextInt(Math.min(length - 1, 12));
    for (int i = 0; i < n; i++) {
      set.add(1 + r.nextInt(length - 1));
    }
    return set.stream().mapToInt(Integer::intValue).toArray();
  }

  /** {@code stream} cut at {@code cuts} into consecutive chunks. */
  public static List<byte[]> chunks(byte[] stream, int[] cuts) {
    List<byte[]> out = new ArrayList<>();
    int from = 0;
    for (int c : cuts) {
      out.add(java.util.Arrays.copyOfRange(stream, from, c));
      from = c;
    }
    out.add(java.util.Arrays.copyOfRange(stream, from, stream.length));
    return out;
  }

  /** The chunks joined back. */
  public static byte[] concat(List<byte[]> parts) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (byte[] p : parts) {
      out.writeBytes(p);
    }
    return out.toByteArray();
  }

  /**
   * A JSON-able value as {@code JsonCodec} decodes it: null, Boolean, Integer, Long (outside int
   * range), BigInteger (outside long range), a finite Double, String, List or insertion-ordered Map
   * with string keys; nested up to {@code depth}.
   */
  public static Object jsonValue(SplittableRandom r, int size, int depth) {
    int kind = r.nextInt(depth <= 0 ? 7 : 9);
    return switch (kind) {
      case 0 -> null;
      case 1 -> r.nextBoolean();
      case 2 -> r.nextInt(3) == 0 ? r.nextInt(-2, 3) : r.nextInt();
      case 3 -> {
        long v;
        do {
          v = r.nextLong();
        } while (v >= Integer.MIN_VALUE && v <= Integer.MAX_VALUE);
        yield v;
      }
      case 4 -> {
        BigInteger v =
            BigInteger.valueOf(Long.MAX_VALUE).add(BigInteger.valueOf(1 + r.nextInt(1 << 30)));
        v = v.shiftLeft(r.nextInt(70));
        yield r.nextBoolean() ? v : v.negate().subtract(BigInteger.ONE);
      }
      case 5 -> finiteDouble(r);
      case 6 -> string(r, Math.min(size, 40));
      case 7 -> {
        List<Object> list = new ArrayList<>();
        for (int i = 0, n = r.nextInt(Math.min(size, 6) + 1); i < n; i++) {
          list.add(jsonValue(r, size, depth - 1));
        }
        yield list;
      }
      default -> {
        Map<String, Object> map = new LinkedHashMap<>();
        for (int i = 0, n = r.nextInt(Math.min(size, 6) + 1); i < n; i++) {
          map.put(string(r, Math.min(size, 12)), jsonValue(r, size, depth - 1));
        }
        yield map;
      }
    };
  }

  /** A finite double, with the edge values mixed in. */
  public static double finiteDouble(SplittableRandom r) {
    return switch (r.nextInt(8)) {
      case 0 -> 0.0;
      case 1 -> -0.0;
      case 2 -> Double.MIN_VALUE;
      case 3 -> Double.MAX_VALUE;
      case 4 -> -1.5;
      case 5 -> r.nextInt(1000) / 8.0;
      default -> {
        double d;
        do {
          d = Double.longBitsToDouble(r.nextLong());
        } while (!Double.isFinite(d));
        yield d;
      }
    };
  }

  /** Shrinks text: runs of characters, then single ones (pairs kept whole), removed. */
  public static List<String> shrinkString(String s) {
    List<String> out = new ArrayList<>();
    int n = s.length();
    if (n == 0) {
      return out;
    }
    out.add("");
    // Remove runs of n/2, n/4, ... chars, then single characters.
    for (int k = n / 2; k > 1 && out.size() < 150; k /= 2) {
      for (int i = 0; i + k <= n && out.size() < 150; i += k) {
        if (!Character.isLowSurrogate(s.charAt(i))
            && (i + k == n || !Character.isLowSurrogate(s.charAt(i + k)))) {
          out.add(s.substring(0, i) + s.substring(i + k));
        }
      }
    }
    for (int i = 0; i < n && out.size() < 300; ) {
      int len = Character.charCount(s.codePointAt(i));
      out.add(s.substring(0, i) + s.substring(i + len));
      i += len;
    }
    return out;
  }

  /** Shrinks bytes: runs of bytes, then single bytes, removed. */
  public static List<byte[]> shrinkBytes(byte[] b) {
    List<byte[]> out = new ArrayList<>();
    int n = b.length;
    if (n == 0) {
      return out;
    }
    out.add(new byte[0]);
    // Remove runs of n/2, n/4, ... bytes, then single bytes.
    for (int k = n / 2; k > 1 && out.size() < 150; k /= 2) {
      for (int i = 0; i + k <= n && out.size() < 150; i += k) {
        byte[] c = new byte[n - k];
        System.arraycopy(b, 0, c, 0, i);
        System.arraycopy(b, i + k, c, i, n - k - i);
        out.add(c);
      }
    }
    for (int i = 0; i < n && out.size() < 300; i++) {
      byte[] c = new byte[n - 1];
      System.arraycopy(b, 0, c, 0, i);
      System.arraycopy(b, i + 1, c, i, n - 1 - i);
      out.add(c);
    }
    return out;
  }
}
