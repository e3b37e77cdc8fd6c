package io.servicekit.internal;

import io.servicekit.Scheduler;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.time.Duration;
import java.util.function.BooleanSupplier;
import java.util.function.LongSupplier;
import org.jspecify.annotations.Nullable;

/**
 * Ends a connection whose one in-flight write has made no progress for the write timeout. Shared by
 * the WebSocket and SSE state machines; not API.
 *
 * <p>Costs one release store per write started. At most one check is scheduled at a time: one per
 * timeout period while writes happen, none once the connection has been idle for a period. {@link
 * #stop()} cancels the scheduled check, so that a finished connection is not kept reachable by the
 * scheduler's queue until the check would have run (a write timeout later).
 */
public final class WriteWatchdog {
  private final Scheduler scheduler;
  private final Duration timeout;
  private final LongSupplier inFlightSince; // nanoTime of the write in flight, or -1
  private final BooleanSupplier ended;
  private final Runnable onStuck;
  private volatile boolean armed; // a check is scheduled
  private volatile boolean stopped; // set once by stop(); no check is scheduled after it
  private volatile Scheduler.@Nullable Cancellable pending; // the last check scheduled

  private static final VarHandle ARMED;
  private static final VarHandle LAST_WRITE;

  static {
    try {
      ARMED = MethodHandles.lookup().findVarHandle(WriteWatchdog.class, "armed", boolean.class);
      LAST_WRITE =
          MethodHandles.lookup()
              .findVarHandle(WriteWatchdog.class, "lastWriteStartNanos", long.class);
    } catch (ReflectiveOperationException e) {
      throw new ExceptionInInitializerError(e);
    }
  }

  // Written on every write with release semantics (a plain store on x86, no fence): the check
  // needs a recent value, not a globally ordered one.
  @SuppressWarnings("UnusedVariable") // read and written through LAST_WRITE
  private long lastWriteStartNanos;

  /**
   * @param inFlightSince the start time of the write in flight, or -1 when none is
   * @param ended whether the connection has ended (checks stop)
   * @param onStuck what to do when a write has waited the whole timeout
   */
  public WriteWatchdog(
      Scheduler scheduler,
      Duration timeout,
      LongSupplier inFlightSince,
      BooleanSupplier ended,
      Runnable onStuck) {
    this.scheduler = scheduler;
    this.timeout = timeout;
    this.inFlightSince = inFlightSince;
    this.ended = ended;
    this.onStuck = onStuck;
  }

  /** A write started at {@code nanoTime}; arms a check if none is armed. */
  public void writeStarted(long nanoTime) {
    LAST_WRITE.setRelease(this, nanoTime);
    arm(timeout);
  }

  /**
   * Cancels the scheduled check, if any, and schedules none from now on; idempotent. Call it when
   * the connection has finished.
   */
  public void stop() {
    stopped = true;
    Scheduler.Cancellable c = pending;
    if (c != null) {
      c.cancel();
    }
  }

  private void arm(Duration delay) {
    // A plain read first: while a check is armed (nearly always under traffic) no CAS is paid.
    if (!armed && ARMED.compareAndSet(this, false, true)) {
      if (stopped) {
        return; // armed stays true: later writes pay neither a CAS nor a schedule
      }
      Scheduler.Cancellable c = scheduler.schedule(this::check, delay);
      pending = c;
      // stop() writes stopped, then reads pending; this wrote pending, then reads stopped: with
      // volatile accesses one of the two sees the other, so a check armed while stopping is
      // cancelled by one side or the other.
      if (stopped) {
        c.cancel();
      }
    }
  }

  private void check() {
    if (stopped) {
      return; // leave armed set: nothing is scheduled any more
    }
    armed = false;
    if (ended.getAsBoolean()) {
      return;
    }
    long limit = timeout.toNanos();
    long now = scheduler.nanoTime();
    long since = inFlightSince.getAsLong();
    if (since < 0) {
      // Idle now. Under steady traffic keep one check per period instead of one per write.
      if (now - (long) LAST_WRITE.getAcquire(this) < limit) {
        arm(timeout);
      }
      return;
    }
    long waited = now - since;
    if (waited >= limit) {
      onStuck.run();
    } else {
      arm(Duration.ofNanos(limit - waited));
    }
  }
}
