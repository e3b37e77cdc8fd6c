package io.servicekit.internal;

import java.nio.charset.StandardCharsets;
import org.jspecify.annotations.Nullable;

/**
 * The exact bytes of the Server-Sent Events wire format (WHATWG HTML §9.2), as the Go library
 * writes them, with its injection holes closed:
 *
 * <pre>
 * event: &lt;event&gt;\n     only if an event name is set
 * id: &lt;id&gt;\n           only if an id is set
 * retry: &lt;ms&gt;\n        only if a retry hint &gt; 0 is set
 * data: &lt;line&gt;\n       one line per line of the payload
 * \n
 * </pre>
 *
 * <ul>
 *   <li>The payload is split on CRLF, CR and LF, each piece becoming a {@code data:} line, so no
 *       line break inside a payload can end the event early or start a field. A client joins the
 *       lines with LF: a payload's CR and CRLF arrive as LF.
 *   <li>Event names and ids containing CR, LF or NUL are rejected with an {@link
 *       IllegalArgumentException} (they would inject fields, and browsers ignore ids with NUL).
 *   <li>Comments ({@code ": text\n"}) are split into one comment line per line of the text.
 * </ul>
 *
 * <p>Everything is UTF-8. All methods are pure and thread-safe.
 */
public final class SseFormat {
  /** The keepalive comment, {@code ": keepalive\n\n"}. */
  private static final byte[] KEEPALIVE = ": keepalive\n\n".getBytes(StandardCharsets.US_ASCII);

  private SseFormat() {}

  /**
   * The framed bytes of one event.
   *
   * @param event the event name, or null/empty for the default {@code message}
   * @param id the event id, or null/empty for none
   * @param retryMillis a reconnection hint in milliseconds, or 0 for none
   * @param data the payload text (may be empty, never null)
   * @throws IllegalArgumentException if the event name or id contains CR, LF or NUL, or retry is
   *     negative
   */
  public static byte[] event(
      @Nullable String event, @Nullable String id, long retryMillis, String data) {
    return eventText(event, id, retryMillis, data).getBytes(StandardCharsets.UTF_8);
  }

  /** {@link #event} as text. */
  public static String eventText(
      @Nullable String event, @Nullable String id, long retryMillis, String data) {
    checkField("event name", event);
    checkField("event id", id);
    checkRetry(retryMillis);
    if (data == null) {
      throw new IllegalArgumentException("SSE event data must not be null");
    }
    StringBuilder out = new StringBuilder(data.length() + 32);
    if (event != null && !event.isEmpty()) {
      out.append("event: ").append(event).append('\n');
    }
    if (id != null && !id.isEmpty()) {
      out.append("id: ").append(id).append('\n');
    }
    if (retryMillis > 0) {
      out.append("retry: ").append(retryMillis).append('\n');
    }
    appendLines(out, "data: ", data);
    return out.append('\n').toString();
  }

  /** A comment block: one {@code ": line\n"} per line of {@code text}, then a blank line. */
  public static byte[] comment(String text) {
    if (text == null) {
      throw new IllegalArgumentException("SSE comment must not be null");
    }
    StringBuilder out = new StringBuilder(text.length() + 4);
    appendLines(out, ": ", text);
    return out.append('\n').toString().getBytes(StandardCharsets.UTF_8);
  }

  /** {@code ": keepalive\n\n"}. */
  public static byte[] keepalive() {
    return KEEPALIVE.clone();
  }

  /** A bare reconnection hint, {@code "retry: <ms>\n\n"}; {@code millis} must be positive. */
  public static byte[] retry(long millis) {
    if (millis <= 0) {
      throw new IllegalArgumentException("SSE retry must be a positive number of ms: " + millis);
    }
    return ("retry: " + millis + "\n\n").getBytes(StandardCharsets.US_ASCII);
  }

  /**
   * Rejects a field value that would break framing.
   *
   * @param what the field's description for the message, e.g. {@code "event id"}
   * @throws IllegalArgumentException if {@code value} contains CR, LF or NUL
   */
  public static void checkField(String what, @Nullable String value) {
    if (value == null) {
      return;
    }
    for (int i = 0; i < value.length(); i++) {
      char c = value.charAt(i);
      if (c == '\r' || c == '\n' || c == '\0') {
        throw new IllegalArgumentException(
            "SSE " + what + " must not contain CR, LF or NUL: " + escape(value));
      }
    }
  }

  static void checkRetry(long retryMillis) {
    if (retryMillis < 0) {
      throw new IllegalArgumentException(
          "SSE retry must be 0 (none) or a positive number of ms: " + retryMillis);
    }
  }

  /** {@code value} as a Java string literal with control characters escaped, for messages. */
  static String escape(String value) {
    StringBuilder out = new StringBuilder(value.length() + 2).append('"');
    int shown = Math.min(value.length(), 80);
    for (int i = 0; i < shown; i++) {
      char c = value.charAt(i);
      switch (c) {
        case '\r' -> out.append("\\r");
        case '\n' -> out.append("\\n");
        case '\0' -> out.append("\\0");
        case '"' -> out.append("\\\"");
        case '\\' -> out.append("\\\\");
        default -> {
          if (c < 0x20) {
            out.append(String.format("\\u%04x", (int) c));
          } else {
            out.append(c);
          }
        }
      }
    }
    out.append('"');
    if (shown < value.length()) {
      out.append("... (").append(value.length()).append(" chars)");
    }
    return out.toString();
  }

  /** Appends {@code prefix + line + "\n"} for each line of {@code text} split on CRLF, CR, LF. */
  private static void appendLines(StringBuilder out, String prefix, String text) {
    int start = 0;
    int n = text.length();
    for (int i = 0; i < n; i++) {
      char c = text.charAt(i);
      if (c == '\r' || c == '\n') {
        out.append(prefix).append(text, start, i).append('\n');
        if (c == '\r' && i + 1 < n && text.charAt(i + 1) == '\n') {
          i++;
        }
        start = i + 1;
      }
    }
    out.append(prefix).append(text, start, n).append('\n');
  }
}
