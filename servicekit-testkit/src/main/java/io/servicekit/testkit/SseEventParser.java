package io.servicekit.testkit;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * A push parser for the {@code text/event-stream} format that follows the WHATWG HTML spec (§9.2.6
 * "Interpreting an event stream"), for tests and Java clients:
 *
 * <ul>
 *   <li>one leading UTF-8 BOM is ignored; the stream is decoded as UTF-8 (malformed bytes become
 *       U+FFFD);
 *   <li>lines end with CRLF, LF or CR, also when a CRLF is split across two {@link #feed} calls;
 *   <li>a line starting with {@code :} is a comment, reported to {@link Listener#onComment} and
 *       otherwise ignored;
 *   <li>{@code field: value} with at most one space removed after the colon; a line without a colon
 *       is a field with an empty value; unknown fields are ignored;
 *   <li>{@code data} lines are joined with LF; {@code id} sets the last event id unless its value
 *       contains NUL (then it is ignored); {@code retry} is used only if it is all ASCII digits;
 *   <li>a blank line dispatches the event — only if it has data (a block of only comments, {@code
 *       id}, {@code event} or unknown fields dispatches nothing, though an {@code id} still updates
 *       the last event id); the type defaults to {@code message};
 *   <li>at {@link #end()} an unfinished event is discarded.
 * </ul>
 *
 * <p>Unlike the Go library's reader it keeps the last event id and the retry value as stream state
 * and bounds line length (a misbehaving server cannot exhaust memory). Not thread-safe: feed it
 * from one thread.
 */
public final class SseEventParser {
  /** Default longest line, in bytes. */
  public static final int DEFAULT_MAX_LINE_BYTES = 1 << 20;

  /**
   * One dispatched event.
   *
   * @param type the event type ({@code message} unless an {@code event:} field named it)
   * @param data the data lines joined with LF
   * @param id the value of this event's own valid {@code id:} field, or null if it had none
   * @param lastEventId the stream's last event id at dispatch (sticky across events, as a browser's
   *     {@code MessageEvent.lastEventId})
   * @param retry this event's own valid {@code retry:} value in ms, or -1
   */
  public record Event(String type, String data, String id, String lastEventId, long retry) {}

  /** Receives what the parser finds, on the thread that calls {@link #feed}. */
  public interface Listener {
    /** A dispatched event. */
    void onEvent(Event event);

    /** A comment line's text (after the colon, one leading space removed). */
    default void onComment(String comment) {}

    /** A valid {@code retry:} field: the new reconnection time in ms. */
    default void onRetry(long millis) {}
  }

  private static final byte CR = '\r';
  private static final byte LF = '\n';

  private final Listener listener;
  private final int maxLineBytes;
  private final ByteArrayOutputStream line = new ByteArrayOutputStream(256);
  private boolean lastWasCr;
  private boolean firstLine = true;

  private final StringBuilder data = new StringBuilder();
  private boolean hasData;
  private String eventType = "";
  private String idField; // this block's own id field
  private long retryField = -1; // this block's own retry field
  private String lastEventIdBuffer = "";
  private String lastEventId = "";
  private long retry = -1;

  /** A parser reporting to {@code listener}, with {@link #DEFAULT_MAX_LINE_BYTES}. */
  public SseEventParser(Listener listener) {
    this(listener, DEFAULT_MAX_LINE_BYTES);
  }

  /** A parser reporting to {@code listener} that refuses lines longer than {@code maxLineBytes}. */
  public SseEventParser(Listener listener, int maxLineBytes) {
    this.listener = Objects.requireNonNull(listener, "listener");
    if (maxLineBytes <= 0) {
      throw new IllegalArgumentException("maxLineBytes must be positive: " + maxLineBytes);
    }
    this.maxLineBytes = maxLineBytes;
  }

  /** Parses a whole stream at once and returns the dispatched events. */
  public static List<Event> parse(byte[] stream) {
    List<Event> out = new ArrayList<>();
    SseEventParser p = new SseEventParser(out::add);
    p.feed(stream);
    p.end();
    return out;
  }

  /** {@link #parse(byte[])} for text (encoded as UTF-8). */
  public static List<Event> parse(String stream) {
    return parse(stream.getBytes(StandardCharsets.UTF_8));
  }

  /** Feeds the next bytes of the stream. */
  public void feed(byte[] bytes) {
    feed(bytes, 0, bytes.length);
  }

  /**
   * Feeds {@code len} bytes of the stream from {@code bytes[off]}.
   *
   * @throws IllegalStateException if a line exceeds the limit
   */
  public void feed(byte[] bytes, int off, int len) {
    Objects.checkFromIndexSize(off, len, bytes.length);
    int start = off;
    int end = off + len;
    for (int i = off; i < end; i++) {
      byte b = bytes[i];
      if (lastWasCr && b == LF) {
        lastWasCr = false; // the LF of a CRLF: the CR already ended the line
        start = i + 1;
        continue;
      }
      lastWasCr = false;
      if (b == CR || b == LF) {
        append(bytes, start, i - start);
        completeLine();
        lastWasCr = b == CR;
        start = i + 1;
      }
    }
    append(bytes, start, end - start);
  }

  /** The end of the stream: an unfinished event is discarded (not dispatched). */
  public void end() {
    line.reset();
    data.setLength(0);
    hasData = false;
    eventType = "";
    idField = null;
    retryField = -1;
    lastWasCr = false;
  }

  /** The last event id: what a client sends as {@code Last-Event-ID} (empty if none). */
  public String lastEventId() {
    return lastEventId;
  }

  /**
   * Sets the last event id, as a client does when it resumes a stream with {@code Last-Event-ID}.
   *
   * @throws IllegalArgumentException if {@code id} contains NUL
   */
  public void setLastEventId(String id) {
    Objects.requireNonNull(id, "id");
    if (id.indexOf('\0') >= 0) {
      throw new IllegalArgumentException("a last event id cannot contain NUL");
    }
    lastEventIdBuffer = id;
    lastEventId = id;
  }

  /** The last valid {@code retry:} value in ms, or -1 if none was seen. */
  public long retry() {
    return retry;
  }

  private void append(byte[] bytes, int off, int len) {
    if (len == 0) {
      return;
    }
    if (line.size() + len > maxLineBytes) {
      throw new IllegalStateException(
          "SSE line longer than " + maxLineBytes + " bytes (limit of this parser)");
    }
    line.write(bytes, off, len);
  }

  private void completeLine() {
    byte[] raw = line.toByteArray();
    line.reset();
    int from = 0;
    if (firstLine) {
      firstLine = false;
      if (raw.length >= 3
          && (raw[0] & 0xff) == 0xEF
          && (raw[1] & 0xff) == 0xBB
          && (raw[2] & 0xff) == 0xBF) {
        from = 3;
      }
    }
    processLine(new String(raw, from, raw.length - from, StandardCharsets.UTF_8));
  }

  private void processLine(String text) {
    if (text.isEmpty()) {
      dispatch();
      return;
    }
    if (text.charAt(0) == ':') {
      listener.onComment(stripSpace(text.substring(1)));
      return;
    }
    int colon = text.indexOf(':');
    String field = colon < 0 ? text : text.substring(0, colon);
    String value = colon < 0 ? "" : stripSpace(text.substring(colon + 1));
    switch (field) {
      case "event" -> eventType = value;
      case "data" -> {
        data.append(value).append('\n');
        hasData = true;
      }
      case "id" -> {
        if (value.indexOf('\0') < 0) {
          lastEventIdBuffer = value;
          idField = value;
        }
      }
      case "retry" -> {
        if (!value.isEmpty() && value.chars().allMatch(c -> c >= '0' && c <= '9')) {
          try {
            retry = Long.parseLong(value);
            retryField = retry;
            listener.onRetry(retry);
          } catch (NumberFormatException e) {
            // more digits than a long holds: ignored like any invalid value
          }
        }
      }
      default -> {
        // unknown field: ignored
      }
    }
  }

  private void dispatch() {
    lastEventId = lastEventIdBuffer;
    String id = idField;
    long r = retryField;
    idField = null;
    retryField = -1;
    if (!hasData) {
      data.setLength(0);
      eventType = "";
      return;
    }
    data.setLength(data.length() - 1); // the LF after the last data line
    String type = eventType.isEmpty() ? "message" : eventType;
    Event event = new Event(type, data.toString(), id, lastEventId, r);
    data.setLength(0);
    hasData = false;
    eventType = "";
    listener.onEvent(event);
  }

  private static String stripSpace(String s) {
    return !s.isEmpty() && s.charAt(0) == ' ' ? s.substring(1) : s;
  }
}
