package io.servicekit.grpc;

import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Counters of one bridged stream, readable at any time from any thread ({@link
 * GrpcBridge#metrics()}).
 */
public final class StreamMetrics {
  private final Instant connectedAt = Instant.now();
  private final long startNanos = System.nanoTime();
  private final AtomicLong sent = new AtomicLong();
  private final AtomicLong received = new AtomicLong();
  private volatile long endNanos; // 0 while running

  StreamMetrics() {}

  /** When the connection was created. */
  public Instant connectedAt() {
    return connectedAt;
  }

  /** Upstream responses sent to the client as {@code data} envelopes. */
  public long messagesSent() {
    return sent.get();
  }

  /** Client {@code data} envelopes passed upstream. */
  public long messagesReceived() {
    return received.get();
  }

  /** Time from creation to the end of the connection, or until now while it is open. */
  public Duration duration() {
    long end = endNanos;
    return Duration.ofNanos((end == 0 ? System.nanoTime() : end) - startNanos);
  }

  /** Whether the connection has ended. */
  public boolean ended() {
    return endNanos != 0;
  }

  long incrementSent() {
    return sent.incrementAndGet();
  }

  long incrementReceived() {
    return received.incrementAndGet();
  }

  void end() {
    if (endNanos == 0) {
      endNanos = Math.max(1, System.nanoTime());
    }
  }

  @Override
  public String toString() {
    return "StreamMetrics[sent="
        + sent
        + ", received="
        + received
        + ", duration="
        + duration()
        + "]";
  }
}
