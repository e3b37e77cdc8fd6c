package io.servicekit.sse;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * An incremental {@code text/event-stream} parser (WHATWG HTML "interpreting an event stream"), the
 * one the Java client, the test kit and the load client use:
 *
 * <ul>
 *   <li>UTF-8 (malformed bytes become U+FFFD) with one optional leading BOM;
 *   <li>lines end in CRLF, LF or CR, also when a line end or a character is split across feeds;
 *   <li>{@code :} starts a comment, reported to {@link Listener#onComment};
 *   <li>{@code field: value} loses at most one space after the colon; a line without a colon is a
 *       field with an empty value; unknown fields are ignored;
 *   <li>{@code data} lines are joined with LF; an {@code id} containing NUL is ignored; {@code
 *       retry} is used only when it is all ASCII digits;
 *   <li>a blank line dispatches an event only if it had a {@code data} field (the block's id still
 *       becomes the last event id); the type defaults to {@code message};
 *   <li>at {@link #end()} an unfinished event is discarded, its id too.
 * </ul>
 *
 * <p>Memory is bounded: a line longer than {@code maxLineBytes} or an event whose data (UTF-8, one
 * LF between lines) is larger than {@code maxEventBytes} throws {@link LimitException}. Not
 * thread-safe: feed it from one thread. After {@link #end()} it can read the next stream of a
 * reconnecting client, keeping the last event id.
 *
 * <p>Received events are {@link Event}s, not {@link SseEvent}s: those are validated and framed for
 * sending, and a received event keeps what a sent one has no use for (the last event id, an empty
 * id, any event type).
 */
public final class SseParser {
  /** Default longest line, in bytes. */
  public static final int DEFAULT_MAX_LINE_BYTES = 1 << 20;

  /** Default largest event data, in bytes. */
  public static final int DEFAULT_MAX_EVENT_BYTES = 16 << 20;

  /**
   * One dispatched event.
   *
   * @param type the event type: the {@code event:} field, or {@link #MESSAGE} if there was none
   * @param data the {@code data:} lines joined with LF
   * @param id this event's own {@code id:} field, or null if it had none
   * @param lastEventId the stream's last event id when the event was dispatched (sticky across
   *     events; what a reconnect sends as {@code Last-Event-ID}); empty if none yet
   * @param retry this event's own valid {@code retry:} value in ms, or -1
   */
  public record Event(
      String type, String data, @Nullable String id, String lastEventId, long retry) {
    /** The default event type. */
    public static final String MESSAGE = "message";
  }

  /** Receives what the parser finds, on the thread that calls {@link #feed}. */
  @FunctionalInterface
  public interface Listener {
    /** A dispatched event. */
    void onEvent(Event event);

    /** A comment line's text (after the colon, one leading space removed). */
    default void onComment(String comment) {}

    /** A valid {@code retry:} field: the new reconnection time in ms. */
    default void onRetry(long millis) {}
  }

  /**
   * A line or an event's data is larger than the parser's limit. The stream cannot be read on
   * safely (it could exhaust memory) and should be abandoned.
   */
  public static final class LimitException extends IllegalStateException {
    private static final long serialVersionUID = 1L;

    private final String limit;
    private final int max;

    LimitException(String message, String limit, int max) {
      super(message);
      this.limit = limit;
      this.max = max;
    }

    /** The limit passed: {@code "maxLineBytes"} or {@code "maxEventBytes"}. */
    public String limit() {
      return limit;
    }

    /** The limit's value in bytes. */
    public int max() {
      return max;
    }
  }

  private static final byte[] DATA = {'d', 'a', 't', 'a'};
  private static final byte[] EVENT = {'e', 'v', 'e', 'n', 't'};
  private static final byte[] ID = {'i', 'd'};
  private static final byte[] RETRY = {'r', 'e', 't', 'r', 'y'};

  private final Listener listener;
  private final int maxLineBytes;
  private final int maxEventBytes;

  private byte[] line = new byte[256];
  private int lineLen;
  private boolean lastWasCr;
  private boolean first = true;
  private byte[] data = new byte[256];
  private int dataLen;
  private boolean hasData;
  private String type = "";
  private @Nullable String id; // this block's own id field
  private long retry = -1; // this block's own retry field
  private String lastEventIdBuffer;
  private String lastEventId; // committed at the end of a block

  /** A parser with the default limits and no last event id. */
  public SseParser(Listener listener) {
    this(listener, "", DEFAULT_MAX_LINE_BYTES, DEFAULT_MAX_EVENT_BYTES);
  }

  /**
   * A parser resuming after {@code lastEventId} (null or empty for none).
   *
   * @throws IllegalArgumentException if {@code lastEventId} contains NUL or a limit is not positive
   */
  public SseParser(
      Listener listener, @Nullable String lastEventId, int maxLineBytes, int maxEventBytes) {
    this.listener = Objects.requireNonNull(listener, "listener");
    String last = lastEventId == null ? "" : lastEventId;
    if (last.indexOf('\0') >= 0) {
      throw new IllegalArgumentException("a last event id cannot contain NUL: " + last);
    }
    if (maxLineBytes <= 0 || maxEventBytes <= 0) {
      throw new IllegalArgumentException(
          "maxLineBytes and maxEventBytes must be positive: "
              + maxLineBytes
              + ", "
              + maxEventBytes);
    }
    this.lastEventId = last;
    this.lastEventIdBuffer = last;
    this.maxLineBytes = maxLineBytes;
    this.maxEventBytes = maxEventBytes;
  }

  /** Parses a whole stream with the default limits and returns the dispatched events. */
  public static List<Event> parse(byte[] stream) {
    List<Event> out = new ArrayList<>();
    SseParser p = new SseParser(out::add);
    p.feed(stream);
    p.end();
    return out;
  }

  /** {@link #parse(byte[])} for text (encoded as UTF-8). */
  public static List<Event> parse(String stream) {
    return parse(stream.getBytes(StandardCharsets.UTF_8));
  }

  /** The id of the last complete block that had one (what {@code Last-Event-ID} should send). */
  public String lastEventId() {
    return lastEventId;
  }

  /** Feeds the next bytes of the stream. */
  public void feed(byte[] bytes) {
    feed(bytes, 0, bytes.length);
  }

  /**
   * Feeds {@code len} bytes of the stream from {@code bytes[off]}.
   *
   * @throws LimitException if a line or an event's data is over its limit
   */
  public void feed(byte[] bytes, int off, int len) {
    Objects.checkFromIndexSize(off, len, bytes.length);
    int start = off;
    int end = off + len;
    for (int i = off; i < end; i++) {
      byte b = bytes[i];
      if (lastWasCr && b == '\n') {
        lastWasCr = false; // the LF of a CRLF: the CR already ended the line
        start = i + 1;
        continue;
      }
      lastWasCr = false;
      if (b == '\r' || b == '\n') {
        append(bytes, start, i - start);
        lineDone();
        lastWasCr = b == '\r';
        start = i + 1;
      }
    }
    append(bytes, start, end - start);
  }

  /**
   * The end of the stream: an unfinished event is discarded, and so is its id. The parser then
   * reads the next stream (a reconnection) from its start, keeping {@link #lastEventId()}.
   */
  public void end() {
    lastEventIdBuffer = lastEventId;
    lineLen = 0;
    lastWasCr = false;
    first = true;
    reset();
  }

  private void append(byte[] bytes, int off, int len) {
    if (len <= 0) {
      return;
    }
    if (lineLen + len > maxLineBytes) {
      throw new LimitException(
          "SSE line longer than maxLineBytes=" + maxLineBytes + " bytes; stream abandoned",
          "maxLineBytes",
          maxLineBytes);
    }
    if (lineLen + len > line.length) {
      line = Arrays.copyOf(line, Math.min(maxLineBytes, Math.max(lineLen + len, line.length * 2)));
    }
    System.arraycopy(bytes, off, line, lineLen, len);
    lineLen += len;
  }

  private void lineDone() {
    byte[] l = line;
    int len = lineLen;
    lineLen = 0;
    int from = 0;
    if (first) {
      first = false;
      if (len >= 3 && l[0] == (byte) 0xEF && l[1] == (byte) 0xBB && l[2] == (byte) 0xBF) {
        from = 3;
      }
    }
    if (from == len) {
      dispatch();
      return;
    }
    if (l[from] == ':') {
      int c = from + 1 < len && l[from + 1] == ' ' ? from + 2 : from + 1;
      listener.onComment(new String(l, c, len - c, StandardCharsets.UTF_8));
      return;
    }
    int colon = from;
    while (colon < len && l[colon] != ':') {
      colon++;
    }
    int v = colon + 1 < len && l[colon + 1] == ' ' ? colon + 2 : Math.min(colon + 1, len);
    int n = len - v;
    if (is(l, from, colon, DATA)) {
      data(l, v, n);
    } else if (is(l, from, colon, EVENT)) {
      type = new String(l, v, n, StandardCharsets.UTF_8);
    } else if (is(l, from, colon, ID)) {
      if (indexOf(l, v, len, (byte) 0) < 0) { // NUL is one zero byte in UTF-8
        id = new String(l, v, n, StandardCharsets.UTF_8);
        lastEventIdBuffer = id;
      }
    } else if (is(l, from, colon, RETRY)) {
      long ms = digits(l, v, len);
      if (ms >= 0) {
        retry = ms;
        listener.onRetry(ms);
      }
    }
  }

  private void data(byte[] l, int v, int n) {
    // The limit is on the data as delivered: UTF-8 bytes, with one LF between lines.
    long size = (long) dataLen + n + (hasData ? 1 : 0);
    if (size > maxEventBytes) {
      throw new LimitException(
          "SSE event data of "
              + size
              + " bytes or more is over maxEventBytes="
              + maxEventBytes
              + "; stream abandoned",
          "maxEventBytes",
          maxEventBytes);
    }
    if (size > data.length) {
      data = Arrays.copyOf(data, (int) Math.min(maxEventBytes, Math.max(size, data.length * 2L)));
    }
    if (hasData) {
      data[dataLen++] = '\n';
    }
    System.arraycopy(l, v, data, dataLen, n);
    dataLen += n;
    hasData = true;
  }

  private void dispatch() {
    // As the spec says, the id of a block counts only once the block is complete (with or without
    // data): a stream cut in the middle of an event resumes before that event, not after it.
    lastEventId = lastEventIdBuffer;
    if (hasData) {
      Event e =
          new Event(
              type.isEmpty() ? Event.MESSAGE : type,
              new String(data, 0, dataLen, StandardCharsets.UTF_8),
              id,
              lastEventId,
              retry);
      reset();
      listener.onEvent(e);
    } else {
      reset();
    }
  }

  private void reset() {
    dataLen = 0;
    hasData = false;
    type = "";
    id = null;
    retry = -1;
  }

  /** Whether bytes {@code [from, to)} of {@code l} are the field name {@code name}. */
  private static boolean is(byte[] l, int from, int to, byte[] name) {
    return Arrays.equals(l, from, to, name, 0, name.length);
  }

  private static int indexOf(byte[] l, int from, int to, byte b) {
    for (int i = from; i < to; i++) {
      if (l[i] == b) {
        return i;
      }
    }
    return -1;
  }

  /** The value of ASCII digits {@code [from, to)}, or -1 if empty, not all digits or too large. */
  private static long digits(byte[] l, int from, int to) {
    if (from == to) {
      return -1;
    }
    long n = 0;
    for (int i = from; i < to; i++) {
      int d = l[i] - '0';
      if (d < 0 || d > 9 || n > (Long.MAX_VALUE - d) / 10) {
        return -1;
      }
      n = n * 10 + d;
    }
    return n;
  }
}
