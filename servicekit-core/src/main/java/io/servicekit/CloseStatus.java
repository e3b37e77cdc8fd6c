package io.servicekit;

import java.nio.charset.StandardCharsets;

/**
 * A WebSocket close code and reason (RFC 6455 §7.4). Instances are validated when built: the code
 * must be one that may be sent on the wire, and the reason must fit a control frame (at most 123
 * bytes of UTF-8).
 *
 * <p>Codes that are never sent but may be reported, such as {@link #NO_STATUS} (1005) or {@link
 * #ABNORMAL} (1006), are available through {@link #received(int, String)}.
 */
public record CloseStatus(int code, String reason) {
  /** 1000: the purpose of the connection has been fulfilled. */
  public static final int NORMAL = 1000;

  /** 1001: the endpoint is going away (server shutdown, browser navigation, heartbeat timeout). */
  public static final int GOING_AWAY = 1001;

  /** 1002: protocol error. */
  public static final int PROTOCOL_ERROR = 1002;

  /** 1003: a data type the endpoint cannot accept (e.g. binary on a JSON endpoint). */
  public static final int UNSUPPORTED_DATA = 1003;

  /** 1005: reported when a close frame carried no code; never sent. */
  public static final int NO_STATUS = 1005;

  /** 1006: reported when the connection dropped without a close frame; never sent. */
  public static final int ABNORMAL = 1006;

  /** 1007: a message was not consistent with its type (invalid UTF-8, undecodable payload). */
  public static final int INVALID_PAYLOAD = 1007;

  /** 1008: policy violation (slow consumer, forbidden message). */
  public static final int POLICY_VIOLATION = 1008;

  /** 1009: a message was too big to process. */
  public static final int MESSAGE_TOO_BIG = 1009;

  /** 1011: the server hit an unexpected condition. */
  public static final int INTERNAL_ERROR = 1011;

  /** 1012: the service is restarting. */
  public static final int SERVICE_RESTART = 1012;

  /** 1013: try again later (overload). */
  public static final int TRY_AGAIN_LATER = 1013;

  /** Maximum reason length in UTF-8 bytes: a control frame payload is 125 bytes, 2 are the code. */
  public static final int MAX_REASON_BYTES = 123;

  /** Validates {@code code} and {@code reason} as a status that may be sent in a close frame. */
  public CloseStatus {
    if (reason == null) {
      reason = "";
    }
    if (!isReported(code)) {
      throw new IllegalArgumentException("close code must be 1000-1014 or 3000-4999: " + code);
    }
    int bytes = reason.getBytes(StandardCharsets.UTF_8).length;
    if (bytes > MAX_REASON_BYTES && isSendable(code)) {
      throw new IllegalArgumentException(
          "close reason must be at most " + MAX_REASON_BYTES + " UTF-8 bytes: " + bytes);
    }
  }

  /** A status with {@code code} and {@code reason}; the code must be sendable. */
  public static CloseStatus of(int code, String reason) {
    if (!isSendable(code)) {
      throw new IllegalArgumentException(
          "close code cannot be sent in a close frame (RFC 6455 §7.4.1): " + code);
    }
    return new CloseStatus(code, truncate(reason));
  }

  /**
   * A status as reported by a peer or the transport: 1005 and 1006 are allowed, and an over-long
   * reason is truncated rather than rejected.
   */
  public static CloseStatus received(int code, String reason) {
    if (!isReported(code)) {
      return new CloseStatus(PROTOCOL_ERROR, "invalid close code " + code);
    }
    return new CloseStatus(code, truncate(reason));
  }

  /** Whether {@code code} may appear in a close frame sent on the wire. */
  public static boolean isSendable(int code) {
    return (code >= 1000 && code <= 1003)
        || (code >= 1007 && code <= 1014)
        || (code >= 3000 && code <= 4999);
  }

  private static boolean isReported(int code) {
    return isSendable(code) || code == NO_STATUS || code == ABNORMAL;
  }

  /** Cuts {@code reason} to at most {@link #MAX_REASON_BYTES} UTF-8 bytes on a code point. */
  public static String truncate(String reason) {
    if (reason == null) {
      return "";
    }
    if (reason.length() * 3 <= MAX_REASON_BYTES
        || reason.getBytes(StandardCharsets.UTF_8).length <= MAX_REASON_BYTES) {
      return reason;
    }
    StringBuilder out = new StringBuilder();
    int bytes = 0;
    for (int i = 0; i < reason.length(); ) {
      int cp = reason.codePointAt(i);
      int len = new String(Character.toChars(cp)).getBytes(StandardCharsets.UTF_8).length;
      if (bytes + len > MAX_REASON_BYTES - 3) {
        break;
      }
      out.appendCodePoint(cp);
      bytes += len;
      i += Character.charCount(cp);
    }
    return out.append("...").toString();
  }
}
