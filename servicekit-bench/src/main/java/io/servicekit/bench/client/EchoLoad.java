package io.servicekit.bench.client;

import java.io.IOException;
import java.util.BitSet;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.HdrHistogram.Histogram;

/**
 * An open-loop echo run: messages go out on a fixed timetable, round-robin over the connections,
 * whatever the replies do (no coordinated omission). Each message carries its <em>intended</em>
 * send time, so a late sender counts against the latency, and the round trip is taken from that
 * time to the read of the reply. Bounded: exactly {@code rate × seconds} messages, then at most
 * {@code drainTimeout} for the last replies.
 */
public final class EchoLoad {
  /** What one run measured. Times in nanoseconds. */
  public record Result(
      long sent,
      long received,
      long lost,
      long duplicates,
      long foreign,
      long p50,
      long p99,
      long max,
      long sendStalls,
      long maxSendLagNanos,
      double seconds) {}

  private final int runId;
  private final List<WsLoadClient.Conn> conns;
  private final long base;
  private final BitSet[] received;
  private final Histogram rtt = new Histogram(TimeUnit.SECONDS.toNanos(60), 3);
  private long receivedCount; // guarded by this
  private long duplicates; // guarded by this
  private long foreign; // guarded by this

  /**
   * Prepares run {@code runId} over {@code conns}. Messages of other runs arriving late are counted
   * as foreign and ignored.
   */
  public EchoLoad(int runId, List<WsLoadClient.Conn> conns) {
    this(runId, conns, conns.size(), System.nanoTime());
  }

  /** Bookkeeping only, for {@code connections} connections, times counted from {@code base}. */
  EchoLoad(int runId, int connections, long base) {
    this(runId, List.of(), connections, base);
  }

  private EchoLoad(int runId, List<WsLoadClient.Conn> conns, int connections, long base) {
    this.runId = runId;
    this.conns = List.copyOf(conns);
    this.base = base;
    this.received = new BitSet[connections];
    for (int i = 0; i < received.length; i++) {
      received[i] = new BitSet();
    }
  }

  /** The handler to install on the client for this run. */
  public WsLoadClient.Handler handler() {
    return (conn, buf, off, len, nanos) -> onMessage(buf, off, len, nanos);
  }

  /** Records one reply (selector thread; public for tests). */
  public synchronized void onMessage(byte[] buf, int off, int len, long nanos) {
    Payloads.Fields f = Payloads.read(buf, off, len);
    if (f.run() != runId || f.conn() < 0 || f.conn() >= received.length || f.seq() < 0) {
      foreign++;
      return;
    }
    BitSet seen = received[(int) f.conn()];
    if (seen.get((int) f.seq())) {
      duplicates++;
      return;
    }
    seen.set((int) f.seq());
    receivedCount++;
    long rttNanos = nanos - base - f.time();
    rtt.recordValue(Math.max(0, Math.min(rttNanos, rtt.getHighestTrackableValue())));
  }

  /** A copy of the round-trip histogram so far (nanoseconds). */
  public synchronized Histogram histogram() {
    return rtt.copy();
  }

  /** Messages received so far. */
  public synchronized long receivedCount() {
    return receivedCount;
  }

  /**
   * Sends {@code rate} messages a second for {@code seconds}, then waits up to {@code drainMillis}
   * for the replies. Runs on the calling thread.
   */
  public Result run(int rate, double seconds, long drainMillis)
      throws IOException, InterruptedException {
    long total = Math.round(rate * seconds);
    int n = conns.size();
    long[] seq = new long[n];
    byte[] payload = new byte[Payloads.SIZE];
    long start = System.nanoTime();
    long maxLag = 0;
    long stallsBefore = stalls();
    for (long i = 0; i < total; i++) {
      long due = start + i * 1_000_000_000L / rate;
      long now = System.nanoTime();
      while (now < due) {
        LockSupport.parkNanos(due - now);
        now = System.nanoTime();
      }
      maxLag = Math.max(maxLag, now - due);
      int c = (int) (i % n);
      WsLoadClient.Conn conn = conns.get(c);
      if (!conn.isOpen()) {
        continue; // counted as lost
      }
      int len = Payloads.write(payload, Payloads.SIZE, "echo", runId, c, seq[c]++, due - base);
      try {
        conn.sendText(payload, len);
      } catch (IOException e) {
        // the connection died; its messages count as lost
      }
    }
    long sentAt = System.nanoTime();
    long deadline = sentAt + TimeUnit.MILLISECONDS.toNanos(drainMillis);
    while (receivedCount() < total && System.nanoTime() < deadline) {
      LockSupport.parkNanos(1_000_000);
    }
    double elapsed = (System.nanoTime() - start) / 1e9;
    return tally(total, stalls() - stallsBefore, maxLag, elapsed);
  }

  /** The result so far, for {@code sent} messages sent. */
  synchronized Result tally(long sent, long sendStalls, long maxLag, double seconds) {
    return new Result(
        sent,
        receivedCount,
        sent - receivedCount,
        duplicates,
        foreign,
        rtt.getValueAtPercentile(50),
        rtt.getValueAtPercentile(99),
        rtt.getMaxValue(),
        sendStalls,
        maxLag,
        seconds);
  }

  private long stalls() {
    long s = 0;
    for (WsLoadClient.Conn c : conns) {
      s += c.sendStalls();
    }
    return s;
  }
}
