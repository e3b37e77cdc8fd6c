package io.servicekit.mcp.stdio;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * LSP / MCP-stdio framing: each message is {@code Content-Length: N\r\n}, optional other headers
 * (e.g. {@code Content-Type}, ignored), a blank line, then exactly N bytes of body — the Go
 * library's {@code ReadFrame}/{@code WriteFrame}, with the bounds it lacks (W-43): a maximum frame
 * size, a bounded header section, truncation reported distinctly from a clean end of stream, and
 * each frame written in one call.
 *
 * <pre>{@code
 * ContentLengthFraming.Reader frames = ContentLengthFraming.reader(System.in, 4 << 20);
 * byte[] message;
 * while ((message = frames.read()) != null) {
 *   ContentLengthFraming.write(System.out, handle(message));
 * }
 * }</pre>
 */
public final class ContentLengthFraming {
  /** Default largest frame body: 4 MiB. */
  public static final int DEFAULT_MAX_FRAME_BYTES = 4 << 20;

  /** Longest header line accepted, in bytes (without its terminator). */
  public static final int MAX_HEADER_LINE_BYTES = 1024;

  /** Most header lines accepted in one frame. */
  public static final int MAX_HEADER_LINES = 32;

  private ContentLengthFraming() {}

  /** A malformed, truncated or oversized frame; the stream cannot be read further reliably. */
  public static class FramingException extends IOException {
    public FramingException(String message) {
      super(message);
    }
  }

  /** A reader of frames from {@code in} with bodies of at most {@code maxFrameBytes} bytes. */
  public static Reader reader(InputStream in, int maxFrameBytes) {
    return new Reader(in, maxFrameBytes);
  }

  /** A reader of frames from {@code in} with {@link #DEFAULT_MAX_FRAME_BYTES}. */
  public static Reader reader(InputStream in) {
    return new Reader(in, DEFAULT_MAX_FRAME_BYTES);
  }

  /** The bytes of one frame: the {@code Content-Length} header, a blank line and {@code body}. */
  public static byte[] frame(byte[] body) {
    Objects.requireNonNull(body, "body");
    byte[] header =
        ("Content-Length: " + body.length + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII);
    byte[] out = new byte[header.length + body.length];
    System.arraycopy(header, 0, out, 0, header.length);
    System.arraycopy(body, 0, out, header.length, body.length);
    return out;
  }

  /**
   * Writes one frame of {@code body} to {@code out} in a single write, then flushes. Not
   * synchronized: callers sharing {@code out} between threads must serialize calls.
   */
  public static void write(OutputStream out, byte[] body) throws IOException {
    out.write(frame(body));
    out.flush();
  }

  /**
   * Reads frames one after another. Buffers its input: read the underlying stream only through this
   * reader. Not thread-safe.
   */
  public static final class Reader {
    private final InputStream in;
    private final int maxFrameBytes;

    private Reader(InputStream in, int maxFrameBytes) {
      this.in = new BufferedInputStream(Objects.requireNonNull(in, "in"));
      if (maxFrameBytes < 0) {
        throw new IllegalArgumentException("maxFrameBytes must be 0 or more: " + maxFrameBytes);
      }
      this.maxFrameBytes = maxFrameBytes;
    }

    /**
     * The body of the next frame, or null at a clean end of stream (before any byte of a frame).
     *
     * @throws FramingException if the stream ends inside a frame, a header line has no colon or is
     *     too long, there are too many header lines, {@code Content-Length} is missing, repeated
     *     with different values, not a decimal number, or greater than the maximum frame size
     * @throws IOException if reading fails
     */
    public byte @Nullable [] read() throws IOException {
      long length = -1;
      int lines = 0;
      boolean first = true;
      while (true) {
        String line = readLine(first);
        if (line == null) {
          return null; // clean end of stream before a frame
        }
        first = false;
        if (line.isEmpty()) {
          break;
        }
        if (++lines > MAX_HEADER_LINES) {
          throw new FramingException("more than " + MAX_HEADER_LINES + " header lines in a frame");
        }
        int colon = line.indexOf(':');
        if (colon < 0) {
          throw new FramingException("malformed header line (no colon): \"" + line + "\"");
        }
        String name = line.substring(0, colon).strip().toLowerCase(Locale.ROOT);
        if (!name.equals("content-length")) {
          continue;
        }
        long value = parseLength(line.substring(colon + 1).strip());
        if (length >= 0 && length != value) {
          throw new FramingException(
              "conflicting Content-Length headers: " + length + " and " + value);
        }
        length = value;
      }
      if (length < 0) {
        throw new FramingException("missing Content-Length header");
      }
      byte[] body = in.readNBytes((int) length);
      if (body.length < length) {
        throw new FramingException(
            "truncated frame: expected " + length + " bytes of body, got " + body.length);
      }
      return body;
    }

    private long parseLength(String v) throws FramingException {
      if (v.isEmpty() || v.length() > 10 || !v.chars().allMatch(c -> c >= '0' && c <= '9')) {
        throw new FramingException("invalid Content-Length \"" + v + "\": not a decimal number");
      }
      long n = Long.parseLong(v);
      if (n > maxFrameBytes) {
        throw new FramingException(
            "frame of " + n + " bytes exceeds the maximum frame size of " + maxFrameBytes);
      }
      return n;
    }

    /** A header line without its CRLF or LF; null at end of stream before any byte if allowed. */
    private @Nullable String readLine(boolean endAllowed) throws IOException {
      ByteArrayOutputStream line = new ByteArrayOutputStream(64);
      while (true) {
        int b = in.read();
        if (b < 0) {
          if (endAllowed && line.size() == 0) {
            return null;
          }
          throw new FramingException(
              "truncated frame: end of stream inside the header section"
                  + (line.size() > 0 ? " (partial line \"" + text(line) + "\")" : ""));
        }
        if (b == '\n') {
          String s = text(line);
          s = s.endsWith("\r") ? s.substring(0, s.length() - 1) : s;
          if (s.length() > MAX_HEADER_LINE_BYTES) { // room was left for a CR, not for a byte more
            throw new FramingException(
                "header line longer than " + MAX_HEADER_LINE_BYTES + " bytes");
          }
          return s;
        }
        if (line.size() >= MAX_HEADER_LINE_BYTES + 1) {
          throw new FramingException("header line longer than " + MAX_HEADER_LINE_BYTES + " bytes");
        }
        line.write(b);
      }
    }

    private static String text(ByteArrayOutputStream line) {
      return line.toString(StandardCharsets.ISO_8859_1);
    }
  }
}
