package io.servicekit.grpc;

import com.google.protobuf.util.JsonFormat;
import io.servicekit.Scheduler;
import java.time.Duration;
import java.util.Objects;

/**
 * Settings of a gRPC-over-WebSocket bridge: the protobuf JSON options and the flow-control window.
 *
 * <p>Flow control: the bridge asks the upstream call for {@code initialWindow} responses, then for
 * one more per response forwarded while the connection's outgoing queue holds at most {@code
 * highWaterBytes}. Above that it stops asking, checks the queue every {@code pollInterval} on the
 * {@code scheduler}, and resumes once the queue has drained to {@code lowWaterBytes}. A slow
 * browser so holds back the gRPC server (through gRPC's own flow control) instead of filling
 * memory.
 *
 * @param parser parses client {@code data} payloads (default: {@link JsonFormat#parser()}, unknown
 *     fields rejected)
 * @param printer prints upstream responses (default: compact {@link JsonFormat#printer()})
 * @param initialWindow responses requested before the first one arrives (at least 1)
 * @param highWaterBytes stop requesting above this many queued bytes
 * @param lowWaterBytes resume at or below this many queued bytes (at most {@code highWaterBytes})
 * @param pollInterval how often a paused stream looks at the queue again
 * @param scheduler runs those checks
 */
public record GrpcWsOptions(
    JsonFormat.Parser parser,
    JsonFormat.Printer printer,
    int initialWindow,
    long highWaterBytes,
    long lowWaterBytes,
    Duration pollInterval,
    Scheduler scheduler) {

  /** Validates every setting, naming it and its value on failure. */
  public GrpcWsOptions {
    Objects.requireNonNull(parser, "parser");
    Objects.requireNonNull(printer, "printer");
    Objects.requireNonNull(pollInterval, "pollInterval");
    Objects.requireNonNull(scheduler, "scheduler");
    if (initialWindow < 1) {
      throw new IllegalArgumentException("initialWindow must be at least 1, got " + initialWindow);
    }
    if (highWaterBytes < 0 || lowWaterBytes < 0 || lowWaterBytes > highWaterBytes) {
      throw new IllegalArgumentException(
          "need 0 <= lowWaterBytes <= highWaterBytes, got lowWaterBytes="
              + lowWaterBytes
              + ", highWaterBytes="
              + highWaterBytes);
    }
    if (pollInterval.isNegative() || pollInterval.isZero()) {
      throw new IllegalArgumentException("pollInterval must be positive, got " + pollInterval);
    }
  }

  /** Protobuf's default JSON mapping, a window of 16, 256 KiB / 64 KiB, 10 ms checks. */
  public static GrpcWsOptions defaults() {
    return new GrpcWsOptions(
        JsonFormat.parser(),
        JsonFormat.printer().omittingInsignificantWhitespace(),
        16,
        256 * 1024,
        64 * 1024,
        Duration.ofMillis(10),
        Scheduler.system());
  }

  /** A copy with another parser (e.g. {@code JsonFormat.parser().ignoringUnknownFields()}). */
  public GrpcWsOptions withParser(JsonFormat.Parser parser) {
    return new GrpcWsOptions(
        parser, printer, initialWindow, highWaterBytes, lowWaterBytes, pollInterval, scheduler);
  }

  /** A copy with another printer. */
  public GrpcWsOptions withPrinter(JsonFormat.Printer printer) {
    return new GrpcWsOptions(
        parser, printer, initialWindow, highWaterBytes, lowWaterBytes, pollInterval, scheduler);
  }

  /** A copy with another flow-control window. */
  public GrpcWsOptions withWindow(int initialWindow, long highWaterBytes, long lowWaterBytes) {
    return new GrpcWsOptions(
        parser, printer, initialWindow, highWaterBytes, lowWaterBytes, pollInterval, scheduler);
  }

  /** A copy checking a paused stream every {@code pollInterval} on {@code scheduler}. */
  public GrpcWsOptions withPolling(Duration pollInterval, Scheduler scheduler) {
    return new GrpcWsOptions(
        parser, printer, initialWindow, highWaterBytes, lowWaterBytes, pollInterval, scheduler);
  }
}
