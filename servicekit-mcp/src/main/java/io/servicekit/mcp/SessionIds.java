package io.servicekit.mcp;

import java.security.SecureRandom;
import java.util.HexFormat;

/**
 * Session ids for Streamable HTTP ({@code Mcp-Session-Id}): 128 bits from {@link SecureRandom} as
 * 32 lower-case hex characters, the Go library's {@code GenerateSessionID()} format; MCP requires
 * visible ASCII (0x21 to 0x7E) only, which {@link #isValid} checks for ids received from clients.
 */
final class SessionIds {
  /** Longest id {@link #isValid} accepts. */
  static final int MAX_LENGTH = 256;

  private static final SecureRandom RANDOM = new SecureRandom();
  private static final HexFormat HEX = HexFormat.of();

  private SessionIds() {}

  /** A new random session id of 32 lower-case hex characters (128 bits). */
  static String generate() {
    byte[] bytes = new byte[16];
    RANDOM.nextBytes(bytes);
    return HEX.formatHex(bytes);
  }

  /**
   * Whether {@code id} can be a session id: 1 to {@link #MAX_LENGTH} characters, each visible ASCII
   * (0x21 to 0x7E).
   */
  static boolean isValid(String id) {
    if (id == null || id.isEmpty() || id.length() > MAX_LENGTH) {
      return false;
    }
    for (int i = 0; i < id.length(); i++) {
      char c = id.charAt(i);
      if (c < 0x21 || c > 0x7E) {
        return false;
      }
    }
    return true;
  }
}
