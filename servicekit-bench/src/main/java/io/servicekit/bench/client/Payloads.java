package io.servicekit.bench.client;

import java.nio.charset.StandardCharsets;

/**
 * The load generator's messages: compact JSON objects of an exact size, padded with a {@code "pad"}
 * string, carrying a run id, a connection index, a sequence number and the intended send time:
 *
 * <pre>{@code {"type":"echo","r":1,"c":12,"s":345,"t":987654321,"pad":"xxxx…"}}</pre>
 *
 * <p>Every field is a non-negative integer, written and read without a JSON library so that the
 * client spends as little CPU per message as possible. Key order survives a JSON round trip through
 * ServiceKit's {@code JsonCodec} (insertion-ordered maps, compact output).
 */
public final class Payloads {
  /** The size of every load message, as in the published WebSocket shoot-outs. */
  public static final int SIZE = 200;

  private static final byte[] PAD_KEY = ",\"pad\":\"".getBytes(StandardCharsets.US_ASCII);

  private Payloads() {}

  /** The fields of a received message; -1 where a field is missing. */
  public record Fields(long run, long conn, long seq, long time) {}

  /**
   * Writes a {@code type} message of exactly {@code size} bytes into {@code out} (at 0).
   *
   * @return {@code size}
   * @throws IllegalArgumentException if the fields do not fit in {@code size}
   */
  public static int write(
      byte[] out, int size, String type, long run, long conn, long seq, long time) {
    int fixed = "{\"type\":\"\",\"r\":,\"c\":,\"s\":,\"t\":".length() + PAD_KEY.length + 2;
    int needed = fixed + type.length() + digits(run) + digits(conn) + digits(seq) + digits(time);
    if (needed > size || size > out.length) {
      throw new IllegalArgumentException(
          "fields do not fit in "
              + size
              + " bytes (need "
              + needed
              + ", buffer "
              + out.length
              + ")");
    }
    int p = 0;
    p = ascii(out, p, "{\"type\":\"");
    p = ascii(out, p, type);
    p = ascii(out, p, "\",\"r\":");
    p = number(out, p, run);
    p = ascii(out, p, ",\"c\":");
    p = number(out, p, conn);
    p = ascii(out, p, ",\"s\":");
    p = number(out, p, seq);
    p = ascii(out, p, ",\"t\":");
    p = number(out, p, time);
    System.arraycopy(PAD_KEY, 0, out, p, PAD_KEY.length);
    p += PAD_KEY.length;
    int pad = size - p - 2;
    for (int i = 0; i < pad; i++) {
      out[p++] = 'x';
    }
    out[p++] = '"';
    out[p++] = '}';
    return p;
  }

  /** Reads the numeric fields of a message written by {@link #write}. */
  public static Fields read(byte[] buf, int off, int len) {
    long[] v = {-1, -1, -1, -1};
    int end = off + len;
    // Scan the short head of the message for "r":, "c":, "s":, "t": in any order.
    for (int i = off; i + 4 < end; i++) {
      if (buf[i] == '"' && buf[i + 2] == '"' && buf[i + 3] == ':') {
        int slot =
            switch (buf[i + 1]) {
              case 'r' -> 0;
              case 'c' -> 1;
              case 's' -> 2;
              case 't' -> 3;
              default -> -1;
            };
        if (slot < 0) {
          continue;
        }
        long n = 0;
        int j = i + 4;
        int digits = 0;
        while (j < end && buf[j] >= '0' && buf[j] <= '9') {
          n = n * 10 + (buf[j] - '0');
          j++;
          digits++;
        }
        if (digits > 0) {
          v[slot] = n;
        }
        i = j - 1;
        if (v[0] >= 0 && v[1] >= 0 && v[2] >= 0 && v[3] >= 0) {
          break;
        }
      } else if (buf[i] == '"' && i + 6 < end && buf[i + 1] == 'p' && buf[i + 2] == 'a') {
        break; // the padding comes last
      }
    }
    return new Fields(v[0], v[1], v[2], v[3]);
  }

  private static int ascii(byte[] out, int p, String s) {
    for (int i = 0; i < s.length(); i++) {
      out[p++] = (byte) s.charAt(i);
    }
    return p;
  }

  private static int number(byte[] out, int p, long n) {
    int digits = digits(n);
    for (int i = digits - 1; i >= 0; i--) {
      out[p + i] = (byte) ('0' + n % 10);
      n /= 10;
    }
    return p + digits;
  }

  private static int digits(long n) {
    if (n < 0) {
      throw new IllegalArgumentException("negative field: " + n);
    }
    int digits = 1;
    for (long m = n / 10; m > 0; m /= 10) {
      digits++;
    }
    return digits;
  }
}
