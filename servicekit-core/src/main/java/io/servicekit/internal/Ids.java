package io.servicekit.internal;

import java.security.SecureRandom;

/**
 * Unguessable identifiers: 128 random bits as 32 lowercase hex characters, and epochs (8 random
 * characters of {@code [0-9a-z]}) for SSE ids and channel histories.
 */
public final class Ids {
  private static final SecureRandom RANDOM = new SecureRandom();
  private static final char[] HEX = "0123456789abcdef".toCharArray();
  private static final char[] BASE36 = "0123456789abcdefghijklmnopqrstuvwxyz".toCharArray();

  /** Length of an {@link #epoch()}. */
  public static final int EPOCH_LENGTH = 8;

  private Ids() {}

  /** A new random id of 32 lowercase hex characters (128 bits from {@link SecureRandom}). */
  public static String random() {
    byte[] bytes = new byte[16];
    RANDOM.nextBytes(bytes);
    char[] out = new char[32];
    for (int i = 0; i < 16; i++) {
      out[2 * i] = HEX[(bytes[i] >> 4) & 0xf];
      out[2 * i + 1] = HEX[bytes[i] & 0xf];
    }
    return new String(out);
  }

  /** A new epoch: {@value #EPOCH_LENGTH} random characters of {@code [0-9a-z]}. */
  public static String epoch() {
    char[] c = new char[EPOCH_LENGTH];
    for (int i = 0; i < c.length; i++) {
      c[i] = BASE36[RANDOM.nextInt(BASE36.length)];
    }
    return new String(c);
  }
}
