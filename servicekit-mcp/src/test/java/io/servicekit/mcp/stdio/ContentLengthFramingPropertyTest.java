package io.servicekit.mcp.stdio;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.servicekit.mcp.stdio.ContentLengthFraming.FramingException;
import io.servicekit.props.Gens;
import io.servicekit.props.Prop;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** Properties of {@link ContentLengthFraming}, on inputs from a fixed seed. */
class ContentLengthFramingPropertyTest {
  private static final String[] TOKENS = {
    "Content-Length: ",
    "content-length:",
    "CONTENT-LENGTH :",
    "Content-Type: a\r\n",
    "\r\n",
    "\n",
    "\r",
    ":",
    " ",
    "0",
    "1",
    "5",
    "12",
    "4194305",
    "99999999999",
    "-1",
    "+1",
    "0x10",
    "\r\n\r\n",
    "{}",
    "\0",
    "\u00ff"
  };

  /**
   * An input stream that hands out {@code data} in the given chunks, one chunk per read at most.
   */
  static final class ChunkedInput extends InputStream {
    private final byte[] data;
    private final int[] cuts;
    private int pos;
    private int next;

    ChunkedInput(byte[] data, int[] cuts) {
      this.data = data;
      this.cuts = cuts;
    }

    @Override
    public int read() {
      byte[] one = new byte[1];
      return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
    }

    @Override
    public int read(byte[] b, int off, int len) {
      if (pos >= data.length) {
        return -1;
      }
      while (next < cuts.length && cuts[next] <= pos) {
        next++;
      }
      int end = next < cuts.length ? cuts[next] : data.length;
      int n = Math.min(len, end - pos);
      System.arraycopy(data, pos, b, off, n);
      pos += n;
      return n;
    }
  }

  /** Reads frames until the end or the first error: the bodies, then the error if any. */
  static List<Object> readAll(byte[] stream, int[] cuts, int max) throws IOException {
    List<Object> out = new ArrayList<>();
    ContentLengthFraming.Reader reader =
        ContentLengthFraming.reader(new ChunkedInput(stream, cuts), max);
    try {
      byte[] body;
      while ((body = reader.read()) != null) {
        assertThat(body.length).isLessThanOrEqualTo(max);
        out.add(new String(body, StandardCharsets.ISO_8859_1));
      }
    } catch (FramingException e) {
      out.add(e); // the documented error; any other exception fails the property
    }
    return out;
  }

  /** A frame of {@code body} as a writer may send it: header case, spacing, extra headers, LF. */
  static byte[] frameVariant(SplittableRandom r, byte[] body) {
    if (r.nextBoolean()) {
      return ContentLengthFraming.frame(body);
    }
    String eol = r.nextBoolean() ? "\r\n" : "\n";
    List<String> headers = new ArrayList<>();
    String name =
        switch (r.nextInt(3)) {
          case 0 -> "content-length";
          case 1 -> "CONTENT-LENGTH";
          default -> "Content-Length";
        };
    headers.add(
        name
            + (r.nextBoolean() ? " " : "")
            + ":"
            + " ".repeat(r.nextInt(3))
            + body.length
            + " ".repeat(r.nextInt(2)));
    if (r.nextBoolean()) {
      headers.add(
          r.nextInt(headers.size() + 1), "Content-Type: application/vscode-jsonrpc; charset=utf-8");
    }
    if (r.nextInt(4) == 0) {
      headers.add("Content-Length: " + body.length); // repeated with the same value
    }
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (String h : headers) {
      out.writeBytes((h + eol).getBytes(StandardCharsets.US_ASCII));
    }
    out.writeBytes(eol.getBytes(StandardCharsets.US_ASCII));
    out.writeBytes(body);
    return out.toByteArray();
  }

  static byte[] body(SplittableRandom r, int size) {
    return Gens.bytes(r, size, TOKENS);
  }

  /**
   * Round trip: any sequence of bodies (any bytes, including CRLF and header-like text), framed by
   * {@code frame} or as other writers do (header name case, spaces around the colon and value, a
   * Content-Type header before or after, a repeated equal Content-Length, LF-only line ends), reads
   * back as the same bodies followed by a clean end (null), whatever chunks the stream arrives in.
   * 500 tries.
   */
  @Test
  void framesReadBackThroughAnyChunking() {
    Prop.forAll(
        "read(frames(bodies)) == bodies",
        0xC1F0001L,
        500,
        (r, size) -> {
          List<byte[]> bodies = new ArrayList<>();
          ByteArrayOutputStream stream = new ByteArrayOutputStream();
          for (int i = 0, n = r.nextInt(6); i < n; i++) {
            byte[] b = body(r, size);
            bodies.add(b);
            stream.writeBytes(frameVariant(r, b));
          }
          byte[] bytes = stream.toByteArray();
          return new Object[] {bodies, bytes, Gens.cuts(r, bytes.length)};
        },
        a -> {
          @SuppressWarnings("unchecked")
          List<byte[]> bodies = (List<byte[]>) a[0];
          List<Object> expected = new ArrayList<>();
          int max = 0;
          for (byte[] b : bodies) {
            expected.add(new String(b, StandardCharsets.ISO_8859_1));
            max = Math.max(max, b.length);
          }
          assertThat(readAll((byte[]) a[1], (int[]) a[2], max)).isEqualTo(expected);
        });
  }

  /**
   * Arbitrary input: reading any bytes (header-token soup, valid streams with a byte changed,
   * random) in any chunking yields bodies no larger than the maximum and ends with a clean end or a
   * {@link FramingException}; no other exception, and the same result in any chunking. 2000 tries.
   */
  @Test
  void arbitraryInputGivesOnlyFramingExceptions() {
    Prop.forAll(
        "read(arbitrary) throws only FramingException",
        0xC1F0002L,
        2000,
        (r, size) -> {
          byte[] bytes;
          if (r.nextBoolean()) {
            bytes = Gens.bytes(r, size, TOKENS);
          } else {
            ByteArrayOutputStream s = new ByteArrayOutputStream();
            for (int i = 0, n = 1 + r.nextInt(3); i < n; i++) {
              s.writeBytes(frameVariant(r, body(r, size)));
            }
            bytes = s.toByteArray();
            bytes[r.nextInt(bytes.length)] = (byte) "\r\n:0a- x".charAt(r.nextInt(8));
          }
          return new Object[] {bytes, Gens.cuts(r, bytes.length), r.nextInt(200)};
        },
        a -> {
          byte[] bytes = (byte[]) a[0];
          int max = (Integer) a[2];
          List<Object> whole = readAll(bytes, new int[0], max);
          List<Object> chunked = readAll(bytes, (int[]) a[1], max);
          assertThat(describe(chunked)).isEqualTo(describe(whole));
        });
  }

  private static List<String> describe(List<Object> results) {
    return results.stream()
        .map(
            o ->
                o instanceof Exception e
                    ? e.getClass().getSimpleName() + ": " + e.getMessage()
                    : (String) o)
        .toList();
  }

  /**
   * Maximum frame size: a frame whose declared length L exceeds the reader's maximum M is refused
   * with a {@link FramingException} naming both, before any of its body is read (also for lengths
   * far beyond memory, up to 10 digits); with L at most M the body is returned. 500 tries.
   */
  @Test
  void maxFrameSizeIsEnforced() {
    Prop.forAll(
        "frames over maxFrameBytes are refused",
        0xC1F0003L,
        500,
        (r, size) -> {
          int max = r.nextInt(300);
          long declared =
              r.nextInt(4) == 0
                  ? 1L + r.nextLong(9_999_999_999L)
                  : Math.max(0, max + r.nextInt(-3, 4));
          return new long[] {max, declared};
        },
        a -> {
          int max = (int) a[0];
          long declared = a[1];
          byte[] header =
              ("Content-Length: " + declared + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII);
          // Only as much body as fits the maximum is present: a refused frame must not wait for
          // more.
          byte[] stream = new byte[header.length + (int) Math.min(declared, max)];
          System.arraycopy(header, 0, stream, 0, header.length);
          ContentLengthFraming.Reader reader =
              ContentLengthFraming.reader(new ChunkedInput(stream, new int[0]), max);
          if (declared > max) {
            assertThatThrownBy(reader::read)
                .isInstanceOf(FramingException.class)
                .hasMessageContaining(Long.toString(declared))
                .hasMessageContaining("maximum frame size of " + max);
          } else {
            assertThat(reader.read()).hasSize((int) declared);
            assertThat(reader.read()).isNull();
          }
        });
  }

  /**
   * Header bounds: a header line of N bytes (terminator excluded, CRLF or LF) is accepted when N is
   * at most {@link ContentLengthFraming#MAX_HEADER_LINE_BYTES} and refused with a {@link
   * FramingException} when longer; a frame with K header lines is accepted when K is at most {@link
   * ContentLengthFraming#MAX_HEADER_LINES} and refused when more. 400 tries.
   */
  @Test
  void headerLimitsAreEnforcedExactly() {
    Prop.forAll(
        "header line and count limits are exact",
        0xC1F0004L,
        400,
        (r, size) ->
            new int[] {
              ContentLengthFraming.MAX_HEADER_LINE_BYTES + r.nextInt(-3, 4),
              ContentLengthFraming.MAX_HEADER_LINES + r.nextInt(-2, 3),
              r.nextInt(2)
            },
        a -> {
          int lineBytes = a[0];
          int lines = a[1];
          String eol = a[2] == 0 ? "\r\n" : "\n";
          String longLine = "X-Pad: " + "p".repeat(lineBytes - 7);
          byte[] one =
              ("Content-Length: 2" + eol + longLine + eol + eol + "{}")
                  .getBytes(StandardCharsets.US_ASCII);
          ContentLengthFraming.Reader r1 =
              ContentLengthFraming.reader(new ChunkedInput(one, new int[0]), 10);
          if (lineBytes > ContentLengthFraming.MAX_HEADER_LINE_BYTES) {
            assertThatThrownBy(r1::read)
                .isInstanceOf(FramingException.class)
                .hasMessageContaining("header line longer than");
          } else {
            assertThat(r1.read()).containsExactly('{', '}');
          }
          StringBuilder many = new StringBuilder("Content-Length: 2" + eol);
          for (int i = 1; i < lines; i++) {
            many.append("X-").append(i).append(": v").append(eol);
          }
          byte[] two = many.append(eol).append("{}").toString().getBytes(StandardCharsets.US_ASCII);
          ContentLengthFraming.Reader r2 =
              ContentLengthFraming.reader(new ChunkedInput(two, new int[0]), 10);
          if (lines > ContentLengthFraming.MAX_HEADER_LINES) {
            assertThatThrownBy(r2::read)
                .isInstanceOf(FramingException.class)
                .hasMessageContaining("header lines");
          } else {
            assertThat(r2.read()).containsExactly('{', '}');
          }
        });
  }

  /**
   * Truncation: a valid stream of frames cut at any point reads back the frames that are whole,
   * then a clean end (null) when the cut falls between frames, or a {@link FramingException} saying
   * the frame is truncated when it falls inside one. 500 tries.
   */
  @Test
  void truncationIsReportedDistinctly() {
    Prop.forAll(
        "a cut stream ends cleanly only between frames",
        0xC1F0005L,
        500,
        (r, size) -> {
          List<byte[]> frames = new ArrayList<>();
          for (int i = 0, n = 1 + r.nextInt(4); i < n; i++) {
            frames.add(frameVariant(r, body(r, size)));
          }
          int total = frames.stream().mapToInt(f -> f.length).sum();
          return new Object[] {frames, r.nextInt(total + 1)};
        },
        a -> {
          @SuppressWarnings("unchecked")
          List<byte[]> frames = (List<byte[]>) a[0];
          int cut = (Integer) a[1];
          byte[] all = Gens.concat(frames);
          byte[] prefix = java.util.Arrays.copyOf(all, cut);
          List<Object> got = readAll(prefix, new int[0], 1 << 20);
          int whole = 0;
          int at = 0;
          boolean boundary = cut == 0;
          for (byte[] f : frames) {
            if (at + f.length <= cut) {
              whole++;
              at += f.length;
              boundary = at == cut;
            } else {
              break;
            }
          }
          if (boundary) {
            assertThat(got).hasSize(whole).allMatch(o -> o instanceof String);
          } else {
            assertThat(got).hasSize(whole + 1);
            assertThat(got.get(whole))
                .isInstanceOfSatisfying(
                    FramingException.class, e -> assertThat(e.getMessage()).contains("truncated"));
          }
        });
  }
}
