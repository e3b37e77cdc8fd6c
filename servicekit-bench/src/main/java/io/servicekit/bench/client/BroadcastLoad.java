package io.servicekit.bench.client;

import java.io.IOException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.HdrHistogram.Histogram;

/**
 * Broadcast runs: a {@link Sender} hands the server a message on a fixed timetable (a WebSocket
 * subscriber sending it, or the control channel asking for an SSE broadcast) and the server sends
 * it to every subscriber. Fan-out completion time is the read of the last copy minus the intended
 * send time. Bounded: exactly {@code count} broadcasts, then at most {@code drainMillis} for the
 * copies.
 */
public final class BroadcastLoad {
  /** Hands one message ({@code len} bytes of {@code payload}) to the server for broadcast. */
  public interface Sender {
    void send(byte[] payload, int len) throws IOException;
  }

  /** What one run measured. Times in nanoseconds. */
  public record Result(
      int broadcasts,
      long expectedDeliveries,
      long delivered,
      long lostDeliveries,
      int incomplete,
      long p50,
      long p99,
      long max,
      double seconds) {}

  private final int runId;
  private final int readers;
  private final long base;
  private final int[] copies;
  private final long[] lastCopy;
  private final long[] sentAt;
  private final Histogram completion = new Histogram(TimeUnit.SECONDS.toNanos(60), 3);
  private long delivered; // guarded by this
  private int complete; // guarded by this

  /**
   * Prepares run {@code runId} of {@code count} broadcasts, each expected by {@code readers}
   * reading subscribers.
   */
  public BroadcastLoad(int runId, int count, int readers) {
    this(runId, count, readers, System.nanoTime());
  }

  /** As above, with times counted from {@code base} (for tests). */
  BroadcastLoad(int runId, int count, int readers, long base) {
    this.base = base;
    this.runId = runId;
    this.readers = readers;
    this.copies = new int[count];
    this.lastCopy = new long[count];
    this.sentAt = new long[count];
  }

  /** The handler to install on the client for this run. */
  public WsLoadClient.Handler handler() {
    return (conn, buf, off, len, nanos) -> onMessage(buf, off, len, nanos);
  }

  /** The handler to install on an SSE client for this run (each event's data is one copy). */
  public SseLoadClient.Handler sseHandler() {
    return (stream, buf, off, len, nanos) -> onMessage(buf, off, len, nanos);
  }

  /** Records one received copy (selector thread; public for tests). */
  public synchronized void onMessage(byte[] buf, int off, int len, long nanos) {
    Payloads.Fields f = Payloads.read(buf, off, len);
    if (f.run() != runId || f.seq() < 0 || f.seq() >= copies.length) {
      return;
    }
    int b = (int) f.seq();
    delivered++;
    lastCopy[b] = Math.max(lastCopy[b], nanos);
    if (++copies[b] == readers) {
      complete++;
      long t = nanos - base - f.time();
      completion.recordValue(Math.max(0, Math.min(t, completion.getHighestTrackableValue())));
    }
  }

  /** A copy of the fan-out time histogram so far (nanoseconds). */
  public synchronized Histogram histogram() {
    return completion.copy();
  }

  private synchronized int complete() {
    return complete;
  }

  /** Sends {@code copies.length} broadcasts from {@code sender}, {@code rate} a second. */
  public Result run(WsLoadClient.Conn sender, double rate, long drainMillis)
      throws IOException, InterruptedException {
    return run((Sender) sender::sendText, rate, drainMillis);
  }

  /** Hands {@code copies.length} broadcasts to {@code sender}, {@code rate} a second. */
  public Result run(Sender sender, double rate, long drainMillis)
      throws IOException, InterruptedException {
    byte[] payload = new byte[Payloads.SIZE];
    long start = System.nanoTime();
    long interval = Math.round(1e9 / rate);
    for (int b = 0; b < copies.length; b++) {
      long due = start + b * interval;
      long now = System.nanoTime();
      while (now < due) {
        LockSupport.parkNanos(due - now);
        now = System.nanoTime();
      }
      sentAt[b] = due;
      int len = Payloads.write(payload, Payloads.SIZE, "broadcast", runId, 0, b, due - base);
      sender.send(payload, len);
    }
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(drainMillis);
    while (complete() < copies.length && System.nanoTime() < deadline) {
      LockSupport.parkNanos(1_000_000);
    }
    return tally((System.nanoTime() - start) / 1e9);
  }

  /** The result so far. */
  synchronized Result tally(double seconds) {
    long expected = (long) readers * copies.length;
    return new Result(
        copies.length,
        expected,
        delivered,
        expected - delivered,
        copies.length - complete,
        completion.getValueAtPercentile(50),
        completion.getValueAtPercentile(99),
        completion.getMaxValue(),
        seconds);
  }

  /** Sends {@code count} broadcasts of run {@code runId} as fast as the sender can, unmeasured. */
  public static void blast(WsLoadClient.Conn sender, int runId, int count) throws IOException {
    byte[] payload = new byte[Payloads.SIZE];
    for (int b = 0; b < count; b++) {
      int len = Payloads.write(payload, Payloads.SIZE, "broadcast", runId, 0, b, 0);
      sender.sendText(payload, len);
    }
  }
}
