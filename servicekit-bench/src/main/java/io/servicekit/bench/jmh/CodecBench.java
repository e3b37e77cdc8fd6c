package io.servicekit.bench.jmh;

import io.servicekit.JsonCodec;
import io.servicekit.Message;
import io.servicekit.TypedJsonCodec;
import io.servicekit.bench.client.Payloads;
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
 * Codec cost per message on the benchmark's 200-byte JSON message: {@link JsonCodec} (dynamic maps)
 * and {@link TypedJsonCodec} (a record), decode and encode. Run with {@code -prof gc} for
 * allocation per operation.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(
    value = 1,
    jvmArgsAppend = {"-Xms1g", "-Xmx1g", "-XX:+UseG1GC"})
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
public class CodecBench {
  /** The load message as a typed value. */
  public record LoadMessage(String type, long r, long c, long s, long t, String pad) {}

  private Message.Text text;
  private Object dynamic;
  private LoadMessage typed;
  private final TypedJsonCodec<LoadMessage, LoadMessage> typedCodec =
      TypedJsonCodec.of(LoadMessage.class);

  @Setup
  public void setUp() {
    byte[] buf = new byte[Payloads.SIZE];
    int len = Payloads.write(buf, Payloads.SIZE, "echo", 1, 42, 123456, 9876543210L);
    text = Message.text(new String(buf, 0, len, StandardCharsets.US_ASCII));
    dynamic = JsonCodec.INSTANCE.decode(text);
    typed = typedCodec.decode(text);
    if (!JsonCodec.INSTANCE.encode(dynamic).equals(text)
        || !typedCodec.decode(typedCodec.encode(typed)).equals(typed)) {
      throw new IllegalStateException("codecs do not round-trip the load message");
    }
  }

  @Benchmark
  public Object jsonCodecDecode() {
    return JsonCodec.INSTANCE.decode(text);
  }

  @Benchmark
  public Message jsonCodecEncode() {
    return JsonCodec.INSTANCE.encode(dynamic);
  }

  @Benchmark
  public LoadMessage typedJsonCodecDecode() {
    return typedCodec.decode(text);
  }

  @Benchmark
  public Message typedJsonCodecEncode() {
    return typedCodec.encode(typed);
  }
}
