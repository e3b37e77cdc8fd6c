package io.servicekit.middleware;

import io.servicekit.internal.Ids;

/**
 * Request ids for the {@code X-Request-Id} header. An incoming id is kept only if it is 1 to 128
 * characters of {@code [A-Za-z0-9._:-]}; anything else (too long, spaces, control characters,
 * quotes) is replaced by a fresh id, so a client cannot inject text into logs (the Go library kept
 * any value verbatim: W-82).
 */
public final class RequestIds {
  /** The header name, as upstream. */
  public static final String HEADER = "X-Request-Id";

  /** Longest id kept. */
  public static final int MAX_LENGTH = 128;

  private RequestIds() {}

  /** A new id: 32 lowercase hex characters from 128 random bits, as upstream. */
  public static String generate() {
    return Ids.random();
  }

  /** Whether {@code id} may be kept as given. */
  public static boolean isValid(String id) {
    if (id == null || id.isEmpty() || id.length() > MAX_LENGTH) {
      return false;
    }
    for (int i = 0; i < id.length(); i++) {
      char c = id.charAt(i);
      boolean ok =
          (c >= 'a' && c <= 'z')
              || (c >= 'A' && c <= 'Z')
              || (c >= '0' && c <= '9')
              || c == '.'
              || c == '_'
              || c == ':'
              || c == '-';
      if (!ok) {
        return false;
      }
    }
    return true;
  }

  /** {@code incoming} if valid, else a new id. */
  public static String keepOrGenerate(String incoming) {
    return isValid(incoming) ? incoming : generate();
  }
}
