package io.servicekit.bench.jmh;

import io.servicekit.bench.client.Payloads;
import io.servicekit.sse.SseEvent;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Server-Sent Events framing per event: {@link SseEvent#of(String, String, long, String)} checks
 * the event name and id and frames the event through {@link io.servicekit.internal.SseFormat} into
 * its UTF-8 wire bytes — what an {@link io.servicekit.sse.SseHub} does once per broadcast and a
 * {@code send} once per event. Two payloads: the benchmark's 200-byte JSON load message with an
 * event name and an id, and a 200-byte pretty-printed JSON object of 10 lines (10 {@code data:}
 * lines). Run with {@code -prof gc} for allocation per operation.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(
    value = 1,
    jvmArgsAppend = {"-Xms1g", "-Xmx1g", "-XX:+UseG1GC"})
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
public class SseFrameBench {
  /** Lines of the multi-line payload. */
  static final int LINES = 10;

  private String message;
  private String multiLine;
  private String id;

  @Setup
  public void setUp() {
    byte[] buf = new byte[Payloads.SIZE];
    int len = Payloads.write(buf, Payloads.SIZE, "sse", 1, 42, 123456, 9876543210L);
    message = new String(buf, 0, len, StandardCharsets.US_ASCII);
    multiLine = multiLinePayload(Payloads.SIZE);
    id = "1732694400000-42";
    byte[] named = SseEvent.of("tick", id, 0, message).toBytes();
    String expected = "event: tick\nid: " + id + "\ndata: " + message + "\n\n";
    if (!new String(named, StandardCharsets.UTF_8).equals(expected)) {
      throw new IllegalStateException(
          "unexpected framing: " + new String(named, StandardCharsets.UTF_8));
    }
    String lines = new String(SseEvent.of(multiLine).toBytes(), StandardCharsets.UTF_8);
    if (lines.split("data: ", -1).length != LINES + 1) {
      throw new IllegalStateException("multi-line payload not framed as " + LINES + " lines");
    }
  }

  /**
   * A pretty-printed JSON object of exactly {@code size} characters on {@link #LINES} lines: an
   * opening brace, eight fields, a closing brace.
   */
  static String multiLinePayload(int size) {
    StringBuilder b = new StringBuilder("{\n");
    for (int i = 0; i < LINES - 2; i++) {
      b.append("  \"field").append(i).append("\": \"").append("v".repeat(4)).append("\",\n");
    }
    b.setLength(b.length() - 2);
    b.append("\n}");
    int pad = size - b.length();
    if (pad < 0) {
      throw new IllegalStateException("payload longer than " + size + ": " + b.length());
    }
    // Lengthen the first value so that the whole payload is exactly `size` characters.
    int at = b.indexOf("vvvv");
    b.insert(at, "v".repeat(pad));
    return b.toString();
  }

  /** The 200-byte load message as event {@code tick} with an id. */
  @Benchmark
  public SseEvent namedWithId() {
    return SseEvent.of("tick", id, 0, message);
  }

  /** A 200-byte payload of 10 lines as a plain data event. */
  @Benchmark
  public SseEvent multiLine() {
    return SseEvent.of(null, null, 0, multiLine);
  }
}
