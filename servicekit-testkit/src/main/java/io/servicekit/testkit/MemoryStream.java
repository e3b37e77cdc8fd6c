package io.servicekit.testkit;

import io.servicekit.spi.SseTransport;
import io.servicekit.spi.Transport;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.jspecify.annotations.Nullable;

/**
 * An in-memory {@link SseTransport} (for an SSE stream or a streamed Streamable response): records
 * the exact bytes written, and fails on demand. With {@link #holdWrites()} no write completes (a
 * client that stopped reading) until {@link #completeAllWrites()}; {@link #failWrites} makes the
 * next writes fail.
 *
 * <p>Pair it with {@link VirtualScheduler} for deterministic driver tests. Thread-safe.
 */
public final class MemoryStream implements SseTransport {
  private final ByteArrayOutputStream out = new ByteArrayOutputStream();
  private final ArrayDeque<Transport.WriteCallback> held = new ArrayDeque<>();
  private boolean hold;
  private @Nullable Throwable failWith;
  private int writes;
  private boolean ended;
  private @Nullable Throwable aborted;
  private int rejectStatus;
  private @Nullable String rejectBody;
  private Map<String, String> rejectHeaders = Map.of();
  private final CompletableFuture<Void> done = new CompletableFuture<>();

  /** A transport that completes every write at once. */
  public MemoryStream() {}

  // ------------------------------------------------------------------ test controls

  /** From now on, writes stay pending until {@link #completeAllWrites()}. */
  public synchronized MemoryStream holdWrites() {
    hold = true;
    return this;
  }

  /** From now on, every write fails with {@code cause} (a client that went away). */
  public synchronized MemoryStream failWrites(Throwable cause) {
    failWith = cause;
    return this;
  }

  /** Stops holding and completes the held writes, oldest first. */
  public void completeAllWrites() {
    List<Transport.WriteCallback> ok;
    synchronized (this) {
      hold = false;
      ok = new ArrayList<>(held);
      held.clear();
    }
    ok.forEach(Transport.WriteCallback::succeeded);
  }

  /** Writes waiting for {@link #completeAllWrites()}. */
  public synchronized int heldWrites() {
    return held.size();
  }

  // ------------------------------------------------------------------ what happened

  /** Everything written, as UTF-8. */
  public synchronized String text() {
    return out.toString(StandardCharsets.UTF_8);
  }

  /** How many writes the driver made (including empty ones). */
  public synchronized int writes() {
    return writes;
  }

  /** Whether the driver ended the response normally. */
  public synchronized boolean ended() {
    return ended;
  }

  /** The cause the driver aborted with, if it did. */
  public synchronized Optional<Throwable> aborted() {
    return Optional.ofNullable(aborted);
  }

  /** The status of the error response the driver answered with instead of the stream, or 0. */
  public synchronized int rejectStatus() {
    return rejectStatus;
  }

  /** The body of that error response, or null. */
  public synchronized @Nullable String rejectBody() {
    return rejectBody;
  }

  /** The headers of that error response. */
  public synchronized Map<String, String> rejectHeaders() {
    return rejectHeaders;
  }

  /** Whether the response is over: ended, aborted or rejected. */
  public synchronized boolean done() {
    return ended || aborted != null || rejectStatus != 0;
  }

  /**
   * Completes when the response is over (ended, aborted or rejected): for tests whose driver runs
   * on real threads. On a {@link VirtualScheduler} check {@link #done()} after {@code
   * runUntilIdle()} instead.
   */
  public CompletionStage<Void> whenDone() {
    return done.minimalCompletionStage();
  }

  // ------------------------------------------------------------------ SseTransport

  @Override
  public void write(byte[] bytes, Transport.WriteCallback callback) {
    Throwable fail;
    synchronized (this) {
      if (aborted != null) {
        throw new IllegalStateException("write after abort");
      }
      if (ended) {
        throw new IllegalStateException("write after end");
      }
      out.writeBytes(bytes);
      writes++;
      fail = failWith;
      if (fail == null && hold) {
        held.addLast(callback);
        return;
      }
    }
    if (fail != null) {
      callback.failed(fail);
    } else {
      callback.succeeded();
    }
  }

  @Override
  public void end(Transport.WriteCallback callback) {
    synchronized (this) {
      ended = true;
    }
    done.complete(null);
    callback.succeeded();
  }

  @Override
  public void reject(int status, String body, Map<String, String> headers) {
    synchronized (this) {
      if (writes > 0) {
        throw new IllegalStateException("reject after a write");
      }
      rejectStatus = status;
      rejectBody = body;
      rejectHeaders = Map.copyOf(headers);
    }
    done.complete(null);
  }

  @Override
  public void abort(Throwable cause) {
    List<Transport.WriteCallback> failed;
    synchronized (this) {
      if (aborted == null) {
        aborted = cause;
      }
      failed = new ArrayList<>(held);
      held.clear();
    }
    done.complete(null);
    failed.forEach(cb -> cb.failed(cause));
  }
}
