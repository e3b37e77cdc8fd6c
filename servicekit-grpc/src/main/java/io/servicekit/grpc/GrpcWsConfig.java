package io.servicekit.grpc;

import com.google.protobuf.util.JsonFormat;
import io.servicekit.Scheduler;
import io.servicekit.internal.Check;
import java.time.Duration;
import java.util.Objects;

/**
 * Settings of a gRPC-over-WebSocket bridge, immutable and validated as they are set: the protobuf
 * JSON options and the flow-control window.
 *
 * <p>Flow control: the bridge asks the upstream call for {@code initialWindow} responses, then for
 * one more per response forwarded while the connection's outgoing queue holds at most {@code
 * highWaterBytes}. Above that it stops asking, checks the queue every {@code pollInterval} on the
 * {@code scheduler}, and resumes once the queue has drained to {@code lowWaterBytes}. A slow
 * browser so holds back the gRPC server (through gRPC's own flow control) instead of filling
 * memory.
 *
 * <table>
 * <caption>Defaults</caption>
 * <tr><th>setting</th><th>default</th></tr>
 * <tr><td>{@link #parser()}</td><td>{@link JsonFormat#parser()}: parses client {@code data} payloads, unknown fields rejected</td></tr>
 * <tr><td>{@link #printer()}</td><td>compact {@link JsonFormat#printer()}: prints upstream responses</td></tr>
 * <tr><td>{@link #initialWindow()}</td><td>16 responses requested before the first one arrives (at least 1)</td></tr>
 * <tr><td>{@link #highWaterBytes()}</td><td>256 KiB: stop requesting above this many queued bytes</td></tr>
 * <tr><td>{@link #lowWaterBytes()}</td><td>64 KiB: resume at or below this many queued bytes (at most {@code highWaterBytes})</td></tr>
 * <tr><td>{@link #pollInterval()}</td><td>10 ms: how often a paused stream looks at the queue again</td></tr>
 * <tr><td>{@link #scheduler()}</td><td>{@link Scheduler#system()}: runs those checks</td></tr>
 * </table>
 */
public final class GrpcWsConfig {
  private static final GrpcWsConfig DEFAULTS = builder().build();

  private final JsonFormat.Parser parser;
  private final JsonFormat.Printer printer;
  private final int initialWindow;
  private final long highWaterBytes;
  private final long lowWaterBytes;
  private final Duration pollInterval;
  private final Scheduler scheduler;

  private GrpcWsConfig(Builder b) {
    this.parser = b.parser;
    this.printer = b.printer;
    this.initialWindow = b.initialWindow;
    this.highWaterBytes = b.highWaterBytes;
    this.lowWaterBytes = b.lowWaterBytes;
    this.pollInterval = b.pollInterval;
    this.scheduler = b.scheduler;
  }

  /** Protobuf's default JSON mapping, a window of 16, 256 KiB / 64 KiB, 10 ms checks. */
  public static GrpcWsConfig defaults() {
    return DEFAULTS;
  }

  /** A builder holding the {@linkplain #defaults() defaults}. */
  public static Builder builder() {
    return new Builder();
  }

  /** A builder that starts from this configuration. */
  public Builder toBuilder() {
    Builder b = new Builder();
    b.parser = parser;
    b.printer = printer;
    b.initialWindow = initialWindow;
    b.highWaterBytes = highWaterBytes;
    b.lowWaterBytes = lowWaterBytes;
    b.pollInterval = pollInterval;
    b.scheduler = scheduler;
    return b;
  }

  /** Parses client {@code data} payloads. */
  public JsonFormat.Parser parser() {
    return parser;
  }

  /** Prints upstream responses. */
  public JsonFormat.Printer printer() {
    return printer;
  }

  /** Responses requested before the first one arrives. */
  public int initialWindow() {
    return initialWindow;
  }

  /** Above this many queued bytes no more responses are requested. */
  public long highWaterBytes() {
    return highWaterBytes;
  }

  /** At or below this many queued bytes a paused stream resumes. */
  public long lowWaterBytes() {
    return lowWaterBytes;
  }

  /** How often a paused stream looks at the queue again. */
  public Duration pollInterval() {
    return pollInterval;
  }

  /** Runs the checks of paused streams. */
  public Scheduler scheduler() {
    return scheduler;
  }

  /**
   * Builds a {@link GrpcWsConfig}; unset values take the defaults. Each setter refuses a bad value
   * at once, naming the setting and the value.
   */
  public static final class Builder {
    private JsonFormat.Parser parser = JsonFormat.parser();
    private JsonFormat.Printer printer = JsonFormat.printer().omittingInsignificantWhitespace();
    private int initialWindow = 16;
    private long highWaterBytes = 256 * 1024;
    private long lowWaterBytes = 64 * 1024;
    private Duration pollInterval = Duration.ofMillis(10);
    private Scheduler scheduler = Scheduler.system();

    private Builder() {}

    /** The parser of client payloads (e.g. {@code JsonFormat.parser().ignoringUnknownFields()}). */
    public Builder parser(JsonFormat.Parser v) {
      parser = Objects.requireNonNull(v, "parser");
      return this;
    }

    /** The printer of upstream responses. */
    public Builder printer(JsonFormat.Printer v) {
      printer = Objects.requireNonNull(v, "printer");
      return this;
    }

    /** Responses requested before the first one arrives (default 16); must be positive. */
    public Builder initialWindow(int v) {
      initialWindow = Check.positive("initialWindow", v);
      return this;
    }

    /**
     * Stop requesting above this many queued bytes (default 256 KiB); zero or positive, and not
     * below {@code lowWaterBytes} (checked by {@link #build()}).
     */
    public Builder highWaterBytes(long v) {
      highWaterBytes = Check.notNegative("highWaterBytes", v);
      return this;
    }

    /**
     * Resume at or below this many queued bytes (default 64 KiB); zero or positive, and not above
     * {@code highWaterBytes} (checked by {@link #build()}).
     */
    public Builder lowWaterBytes(long v) {
      lowWaterBytes = Check.notNegative("lowWaterBytes", v);
      return this;
    }

    /** How often a paused stream looks at the queue again (default 10 ms); must be positive. */
    public Builder pollInterval(Duration v) {
      pollInterval = Check.positive("pollInterval", v);
      return this;
    }

    /** Where those checks run (default {@link Scheduler#system()}). */
    public Builder scheduler(Scheduler v) {
      scheduler = Objects.requireNonNull(v, "scheduler");
      return this;
    }

    /**
     * The config.
     *
     * @throws IllegalArgumentException if {@code lowWaterBytes} is above {@code highWaterBytes}
     */
    public GrpcWsConfig build() {
      if (lowWaterBytes > highWaterBytes) {
        throw new IllegalArgumentException(
            "lowWaterBytes must not be above highWaterBytes, was lowWaterBytes="
                + lowWaterBytes
                + ", highWaterBytes="
                + highWaterBytes);
      }
      return new GrpcWsConfig(this);
    }
  }
}
