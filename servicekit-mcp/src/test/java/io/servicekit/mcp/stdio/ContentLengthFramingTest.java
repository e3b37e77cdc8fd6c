package io.servicekit.mcp.stdio;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class ContentLengthFramingTest {
  private static byte[] b(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  private static ContentLengthFraming.Reader reader(String s) {
    return ContentLengthFraming.reader(new ByteArrayInputStream(b(s)), 1024);
  }

  /** Hands out at most one byte per read call. */
  private static InputStream trickle(byte[] bytes) {
    return new FilterInputStream(new ByteArrayInputStream(bytes)) {
      @Override
      public int read(byte[] buf, int off, int len) throws IOException {
        return super.read(buf, off, Math.min(1, len));
      }
    };
  }

  @Test
  void writesOneFrameInOneWrite() throws Exception {
    AtomicInteger writes = new AtomicInteger();
    ByteArrayOutputStream sink = new ByteArrayOutputStream();
    OutputStream out =
        new OutputStream() {
          @Override
          public void write(int x) {
            writes.incrementAndGet();
            sink.write(x);
          }

          @Override
          public void write(byte[] buf, int off, int len) {
            writes.incrementAndGet();
            sink.write(buf, off, len);
          }
        };
    ContentLengthFraming.write(out, b("{\"a\":\"é\"}"));
    assertThat(writes).hasValue(1);
    assertThat(sink.toString(StandardCharsets.UTF_8))
        .isEqualTo("Content-Length: 10\r\n\r\n{\"a\":\"é\"}");
  }

  @Test
  void roundTripsSeveralFramesThroughPartialReads() throws Exception {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ContentLengthFraming.write(out, b("{\"id\":1}"));
    ContentLengthFraming.write(out, new byte[0]);
    ContentLengthFraming.write(out, b("x".repeat(300)));
    ContentLengthFraming.Reader r = ContentLengthFraming.reader(trickle(out.toByteArray()), 1024);
    assertThat(new String(r.read(), StandardCharsets.UTF_8)).isEqualTo("{\"id\":1}");
    assertThat(r.read()).isEmpty();
    assertThat(r.read()).hasSize(300);
    assertThat(r.read()).isNull(); // clean end
    assertThat(r.read()).isNull();
  }

  @Test
  void toleratesOtherHeadersCaseAndBareLf() throws Exception {
    ContentLengthFraming.Reader r =
        reader(
            "content-length:  3\nContent-Type: application/vscode-jsonrpc; charset=utf-8\r\n\r\nabc"
                + "Content-Length: 1\r\nCONTENT-LENGTH: 1\r\n\r\nz");
    assertThat(r.read()).isEqualTo(b("abc"));
    assertThat(r.read()).isEqualTo(b("z")); // a repeated equal value is fine
    assertThat(r.read()).isNull();
  }

  @Test
  void emptyInputIsACleanEnd() throws Exception {
    assertThat(reader("").read()).isNull();
  }

  @Test
  void frameOverTheMaximumIsRefusedBeforeAllocating() {
    assertThatThrownBy(() -> reader("Content-Length: 1025\r\n\r\n").read())
        .isInstanceOf(ContentLengthFraming.FramingException.class)
        .hasMessageContaining("1025 bytes exceeds the maximum frame size of 1024");
    assertThatThrownBy(() -> reader("Content-Length: 99999999999\r\n\r\n").read())
        .isInstanceOf(ContentLengthFraming.FramingException.class)
        .hasMessageContaining("not a decimal number");
  }

  @Test
  void malformedHeaders() {
    assertFraming("Content-Length 3\r\n\r\nabc", "malformed header line (no colon)");
    assertFraming("Content-Length: -3\r\n\r\n", "invalid Content-Length \"-3\"");
    assertFraming("Content-Length: 3x\r\n\r\nabc", "invalid Content-Length \"3x\"");
    assertFraming("Content-Length:\r\n\r\n", "invalid Content-Length \"\"");
    assertFraming("Content-Type: a\r\n\r\nabc", "missing Content-Length header");
    assertFraming("\r\n", "missing Content-Length header");
    assertFraming(
        "Content-Length: 1\r\nContent-Length: 2\r\n\r\nab", "conflicting Content-Length headers");
    assertFraming("X: " + "y".repeat(2000) + "\r\n", "header line longer than 1024 bytes");
    assertFraming("X: y\r\n".repeat(33), "more than 32 header lines");
  }

  /** Found by ContentLengthFramingPropertyTest: a 1025-byte line ending in a bare LF passed. */
  @Test
  void headerLineLimitIsTheSameForLfAndCrlf() throws Exception {
    String at = "X: " + "y".repeat(1021); // 1024 bytes
    assertThat(reader("Content-Length: 1\n" + at + "\n\na").read()).isEqualTo(b("a"));
    assertThat(reader("Content-Length: 1\r\n" + at + "\r\n\r\na").read()).isEqualTo(b("a"));
    assertFraming("Content-Length: 1\n" + at + "y\n\na", "header line longer than 1024 bytes");
    assertFraming(
        "Content-Length: 1\r\n" + at + "y\r\n\r\na", "header line longer than 1024 bytes");
  }

  @Test
  void truncationIsNotACleanEnd() {
    assertFraming("Content-Len", "end of stream inside the header section (partial line");
    assertFraming("Content-Length: 3\r\n", "end of stream inside the header section");
    assertFraming("Content-Length: 5\r\n\r\nabc", "expected 5 bytes of body, got 3");
  }

  @Test
  void invalidMaximum() {
    assertThatThrownBy(() -> ContentLengthFraming.reader(new ByteArrayInputStream(new byte[0]), -1))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("maxFrameBytes")
        .hasMessageContaining("-1");
  }

  private static void assertFraming(String input, String message) {
    assertThatThrownBy(() -> reader(input).read())
        .isInstanceOf(ContentLengthFraming.FramingException.class)
        .hasMessageContaining(message);
  }
}
