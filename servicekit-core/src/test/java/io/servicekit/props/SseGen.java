package io.servicekit.props;

import io.servicekit.internal.SseFormat;
import io.servicekit.sse.SseEvent;
import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Generators for Server-Sent Events streams, shared by every SSE parser's property tests: streams
 * written by {@link SseFormat} (events with any name, id, retry and multi-line data, comments,
 * keepalives, bare retry hints) and byte soups made of the format's tokens.
 */
public final class SseGen {
  private SseGen() {}

  /** SSE tokens for {@link Gens#bytes}: field names with and without space, line ends, BOM. */
  public static final String[] TOKENS = {
    "data:",
    "data: ",
    "data",
    "id:",
    "id: ",
    "event:",
    "event: ",
    "retry:",
    "retry: ",
    ":",
    ": c",
    "\r",
    "\n",
    "\r\n",
    "\n\n",
    "\r\n\r\n",
    "\r\r",
    "\uFEFF",
    "1",
    "42",
    "99999999999999999999",
    " ",
    "\0",
    "x",
    "\u20ac",
    "\uD83D\uDE00",
    "Data:",
    "ids:"
  };

  /** One piece of a stream: an event, or a comment, keepalive or bare retry (no event). */
  public sealed interface Item {
    byte[] bytes();
  }

  /** An event as given to {@link SseEvent#of(String, String, long, String)}. */
  public record Event(String event, String id, long retry, String data) implements Item {
    @Override
    public byte[] bytes() {
      return SseEvent.of(event, id, retry, data).toBytes();
    }

    /** The type a parser reports: the name, or {@code message}. */
    public String type() {
      return event == null || event.isEmpty() ? "message" : event;
    }

    /** The data a parser reports: line breaks (CRLF, CR, LF) as LF. */
    public String parsedData() {
      return data.replace("\r\n", "\n").replace('\r', '\n');
    }

    /** The id a parser reports for this event: null when none was sent. */
    public String parsedId() {
      return id == null || id.isEmpty() ? null : id;
    }

    @Override
    public String toString() {
      return "Event[event="
          + Prop.escape(String.valueOf(event), false)
          + ", id="
          + Prop.escape(String.valueOf(id), false)
          + ", retry="
          + retry
          + ", data="
          + Prop.escape(data, false)
          + "]";
    }
  }

  /** A comment block of {@code text} (split into one comment line per line). */
  public record Comment(String text) implements Item {
    @Override
    public byte[] bytes() {
      return SseFormat.comment(text);
    }
  }

  /** A bare reconnection hint. */
  public record Retry(long millis) implements Item {
    @Override
    public byte[] bytes() {
      return SseFormat.retry(millis);
    }
  }

  /** A field value SseFormat accepts for a name or id: any text without CR, LF or NUL. */
  public static String field(SplittableRandom r, int size) {
    if (r.nextInt(4) == 0) {
      return r.nextBoolean() ? null : "";
    }
    String s = Gens.string(r, Math.min(size, 20));
    return s.replace("\r", "").replace("\n", "").replace("\0", "");
  }

  /** An event with any name, id, retry hint and data (valid text, line breaks of all kinds). */
  public static Event event(SplittableRandom r, int size) {
    long retry = r.nextInt(3) == 0 ? 1 + r.nextLong(Long.MAX_VALUE - 1) : 0;
    return new Event(field(r, size), field(r, size), retry, Gens.string(r, size));
  }

  /** A stream of mostly events, with comments, keepalives and retry hints between them. */
  public static List<Item> stream(SplittableRandom r, int size) {
    List<Item> items = new ArrayList<>();
    for (int i = 0, n = r.nextInt(Math.max(1, size / 10) + 2); i < n; i++) {
      switch (r.nextInt(8)) {
        case 0 -> items.add(new Comment(r.nextBoolean() ? "keepalive" : Gens.string(r, size)));
        case 1 -> items.add(new Retry(1 + r.nextInt(Integer.MAX_VALUE)));
        default -> items.add(event(r, size));
      }
    }
    return items;
  }

  /** The bytes of a stream. */
  public static byte[] bytes(List<Item> items) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (Item item : items) {
      out.writeBytes(item.bytes());
    }
    return out.toByteArray();
  }

  /**
   * Arbitrary bytes: half the time mostly SSE tokens ({@link Gens#bytes}), half the time a
   * well-formed stream with a few bytes changed, inserted (CR, LF, NUL, BOM, any) or removed.
   */
  public static byte[] soup(SplittableRandom r, int size) {
    if (r.nextBoolean()) {
      return Gens.bytes(r, size, TOKENS);
    }
    byte[] good = bytes(stream(r, size));
    ByteArrayOutputStream out = new ByteArrayOutputStream(good.length + 8);
    int edits = 1 + r.nextInt(4);
    for (int i = 0; i < good.length; i++) {
      if (r.nextInt(good.length) < edits) {
        switch (r.nextInt(4)) {
          case 0 -> {} // removed
          case 1 -> out.write(r.nextInt(256));
          case 2 -> {
            out.write("\r\n\0".charAt(r.nextInt(3)));
            out.write(good[i]);
          }
          default -> {
            out.writeBytes(new byte[] {(byte) 0xEF, (byte) 0xBB, (byte) 0xBF});
            out.write(good[i]);
          }
        }
      } else {
        out.write(good[i]);
      }
    }
    return out.toByteArray();
  }

  /**
   * The longest line of {@code stream} in bytes, line terminators (CRLF, CR, LF) excluded; the
   * unterminated tail counts as a line.
   */
  public static int longestLine(byte[] stream) {
    int longest = 0;
    int len = 0;
    for (int i = 0; i < stream.length; i++) {
      byte b = stream[i];
      if (b == '\r' || b == '\n') {
        longest = Math.max(longest, len);
        len = 0;
        if (b == '\r' && i + 1 < stream.length && stream[i + 1] == '\n') {
          i++;
        }
      } else {
        len++;
      }
    }
    return Math.max(longest, len);
  }
}
