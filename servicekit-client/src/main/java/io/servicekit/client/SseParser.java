package io.servicekit.client;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.function.Consumer;
import java.util.function.LongConsumer;

/**
 * An incremental {@code text/event-stream} parser (WHATWG HTML "interpreting an event stream"):
 * UTF-8 with one optional leading BOM; lines end in CRLF, LF or CR (also split across feeds);
 * {@code :} starts a comment; {@code field: value} loses at most one space after the colon; {@code
 * data} lines are joined with LF; an {@code id} containing NUL is ignored; {@code retry} is used
 * only when all ASCII digits; a blank line dispatches an event only if it has data; unknown fields
 * are ignored. Lines longer than {@code maxLineBytes} and events whose data exceeds {@code
 * maxEventBytes} throw {@link SseLimitException}. Not thread-safe.
 */
final class SseParser {
  private final Consumer<ServerSentEvent> onEvent;
  private final LongConsumer onRetry;
  private final int maxLineBytes;
  private final int maxEventBytes;

  private final ByteArrayOutputStream line = new ByteArrayOutputStream(256);
  private boolean lastWasCr;
  private boolean first = true;
  private final StringBuilder data = new StringBuilder();
  private long dataBytes; // UTF-8 length of data
  private boolean hasData;
  private String type = "";
  private String id; // this block's own id field
  private String lastEventIdBuffer;
  private String lastEventId; // committed at the end of a block

  SseParser(
      String lastEventId,
      int maxLineBytes,
      int maxEventBytes,
      Consumer<ServerSentEvent> onEvent,
      LongConsumer onRetry) {
    this.lastEventId = lastEventId == null ? "" : lastEventId;
    this.lastEventIdBuffer = this.lastEventId;
    this.maxLineBytes = maxLineBytes;
    this.maxEventBytes = maxEventBytes;
    this.onEvent = onEvent;
    this.onRetry = onRetry;
  }

  /** The id of the last complete block that had one (what {@code Last-Event-ID} should send). */
  String lastEventId() {
    return lastEventId;
  }

  void feed(byte[] buf, int off, int len) {
    int start = off;
    int end = off + len;
    for (int i = off; i < end; i++) {
      byte b = buf[i];
      if (lastWasCr && b == '\n') {
        lastWasCr = false;
        start = i + 1;
        continue;
      }
      lastWasCr = false;
      if (b == '\r' || b == '\n') {
        append(buf, start, i - start);
        lineDone();
        lastWasCr = b == '\r';
        start = i + 1;
      }
    }
    append(buf, start, end - start);
  }

  private void append(byte[] buf, int off, int len) {
    if (len <= 0) {
      return;
    }
    if (line.size() + len > maxLineBytes) {
      throw new SseLimitException(
          "SSE line longer than maxLineBytes=" + maxLineBytes + " bytes; stream abandoned");
    }
    line.write(buf, off, len);
  }

  private void lineDone() {
    byte[] raw = line.toByteArray();
    line.reset();
    int from = 0;
    if (first) {
      first = false;
      if (raw.length >= 3
          && (raw[0] & 0xff) == 0xEF
          && (raw[1] & 0xff) == 0xBB
          && (raw[2] & 0xff) == 0xBF) {
        from = 3;
      }
    }
    String text = new String(raw, from, raw.length - from, StandardCharsets.UTF_8);
    if (text.isEmpty()) {
      dispatch();
      return;
    }
    if (text.charAt(0) == ':') {
      return;
    }
    int colon = text.indexOf(':');
    String field = colon < 0 ? text : text.substring(0, colon);
    String value = "";
    if (colon >= 0) {
      int v = colon + 1;
      if (v < text.length() && text.charAt(v) == ' ') {
        v++;
      }
      value = text.substring(v);
    }
    switch (field) {
      case "event" -> type = value;
      case "data" -> {
        // The limit is on the data as delivered: UTF-8 bytes, with one LF between lines.
        long added = (long) utf8Length(value) + (hasData ? 1 : 0);
        if (dataBytes + added > maxEventBytes) {
          throw new SseLimitException(
              "SSE event data larger than maxEventBytes=" + maxEventBytes + "; stream abandoned");
        }
        if (hasData) {
          data.append('\n');
        }
        data.append(value);
        dataBytes += added;
        hasData = true;
      }
      case "id" -> {
        if (value.indexOf('\0') < 0) {
          id = value;
          lastEventIdBuffer = value;
        }
      }
      case "retry" -> {
        if (!value.isEmpty() && value.chars().allMatch(c -> c >= '0' && c <= '9')) {
          try {
            onRetry.accept(Long.parseLong(value));
          } catch (NumberFormatException tooLong) {
            // ignored like any invalid retry value
          }
        }
      }
      default -> {}
    }
  }

  private void dispatch() {
    // As the spec says, the id of a block counts only once the block is complete (with or without
    // data): a stream cut in the middle of an event resumes before that event, not after it.
    lastEventId = lastEventIdBuffer;
    if (hasData) {
      ServerSentEvent e =
          new ServerSentEvent(
              type.isEmpty() ? ServerSentEvent.MESSAGE : type, data.toString(), id, lastEventId);
      reset();
      onEvent.accept(e);
    } else {
      reset();
    }
  }

  private void reset() {
    data.setLength(0);
    dataBytes = 0;
    hasData = false;
    type = "";
    id = null;
  }

  /** UTF-8 length of {@code s} (decoded text: surrogates come in pairs, 4 bytes a pair). */
  private static int utf8Length(String s) {
    int n = 0;
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      n += c < 0x80 ? 1 : c < 0x800 ? 2 : Character.isSurrogate(c) ? 2 : 3;
    }
    return n;
  }

  /** The end of the stream: an unfinished event is discarded. */
  void end() {
    lastEventIdBuffer = lastEventId;
    line.reset();
    reset();
    lastWasCr = false;
  }
}
