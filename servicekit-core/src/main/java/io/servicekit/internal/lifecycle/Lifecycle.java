package io.servicekit.internal.lifecycle;

import io.servicekit.Scheduler;
import io.servicekit.SlowConsumerPolicy;
import io.servicekit.internal.WriteQueue;
import io.servicekit.internal.WriteWatchdog;
import io.servicekit.spi.Transport;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The life that the three server-side drivers (WebSocket, SSE, Streamable) share: one state machine
 * that ends exactly once, the serial executor for user callbacks, the outgoing {@link WriteQueue}
 * with its {@link WriteWatchdog}, the timers, and the end a connection closes with.
 *
 * <p>States: {@code NEW → OPEN → CLOSING → CLOSED}. {@link #open()} moves {@code NEW → OPEN};
 * {@link #close} ({@code OPEN → CLOSING}) records a graceful end, after which the driver queues its
 * terminal item; {@link #beginFail}, {@link #fail} and {@link #abort} record a failure and drop the
 * queue. {@link #end} reaches {@code CLOSED} exactly once, whoever calls it first and however many
 * race: it cancels every {@link Timer}, stops the watchdog, clears the queue, runs {@link
 * Protocol#ended} in the ending thread, then on the serial executor (after any callback already
 * running there) {@link Protocol#deliverEnd} (the user's close callback), then the {@link
 * #whenClosed} actions in registration order, then completes {@link #closeFuture()}. An action
 * registered once they have run runs at once, in the registering thread.
 *
 * <p>The driver keeps what is protocol-specific: what a queue item means on the wire, when the
 * terminal item counts as written, the ticks (each on a {@link Timer}), and every call into user
 * code. Internal: not part of the API.
 *
 * @param <T> the queue item
 * @param <E> what the connection ends with (a close status, a stream end, a reason)
 */
public final class Lifecycle<T, E> {
  private static final Logger LOG = LoggerFactory.getLogger(Lifecycle.class);

  /** Where a connection is in its life. */
  public enum State {
    NEW,
    OPEN,
    CLOSING,
    CLOSED
  }

  /** Which end is kept when a failure follows a local end. */
  public enum FailRule {
    /** The first local end (graceful or failure) is the one reported. */
    FIRST_END_WINS,
    /** A failure replaces a graceful close's end (a close that could not finish did not close). */
    FAILURE_REPLACES_CLOSE
  }

  /** The protocol's side: what the shell cannot know. */
  public interface Protocol<T, E> {
    /** Writes one queue item, the terminal one included; the queue's sink. */
    void write(T item, Transport.WriteCallback callback);

    /** A write failed: the transport is broken. */
    void writeFailed(Throwable cause);

    /** The write in flight made no progress for the write timeout. */
    void writeStuck();

    /** {@link #send} found the budget exceeded under {@link SlowConsumerPolicy#CLOSE}. */
    default void slowConsumer() {}

    /**
     * The connection has just reached {@code CLOSED} (timers cancelled, queue cleared); runs once,
     * in the ending thread, before {@link #deliverEnd}.
     *
     * @param failed whether the end came from {@link Lifecycle#fail} or {@link Lifecycle#abort}
     */
    default void ended(E end, boolean failed) {}

    /** Runs once on the serial executor after {@link #ended}: the user's close callback. */
    void deliverEnd(E end);
  }

  private final String id;
  private final Scheduler scheduler;
  private final Executor callbacks;
  private final Protocol<T, E> protocol;
  private final FailRule failRule;
  private final WriteQueue<T> queue;
  private final WriteWatchdog watchdog;
  private final List<Timer> timers = new ArrayList<>(3);
  private final CompletableFuture<E> closeFuture = new CompletableFuture<>();
  // The whenClosed actions not run yet, made on the first one; guarded by this.
  private @Nullable List<Consumer<? super E>> closeActions;
  private @Nullable E
      delivered; // the end once deliverEnd has run and the actions are taken; guarded by this

  private volatile State state = State.NEW;
  private volatile boolean opened; // open() succeeded once: a later open() is a second one
  private volatile @Nullable E result; // set once, by the end that wins; then state becomes CLOSED
  private volatile @Nullable E localEnd; // the end we closed or failed with, if we ended first
  private static final VarHandle STATE;
  private static final VarHandle RESULT;
  private static final VarHandle TASK;

  static {
    try {
      MethodHandles.Lookup lookup = MethodHandles.lookup();
      STATE = lookup.findVarHandle(Lifecycle.class, "state", State.class);
      RESULT = lookup.findVarHandle(Lifecycle.class, "result", Object.class);
      TASK = lookup.findVarHandle(Lifecycle.Timer.class, "task", Scheduler.Cancellable.class);
    } catch (ReflectiveOperationException e) {
      throw new ExceptionInInitializerError(e);
    }
  }

  /**
   * A connection in state {@code NEW}.
   *
   * @param id what error messages call the connection
   * @param serialName the name of the serial executor's threads
   * @param maxQueuedBytes the queue's budget of unwritten bytes
   * @param held whether the queue writes nothing until {@code queue().release()}
   * @param writeTimeout how long one write may make no progress
   */
  public Lifecycle(
      String id,
      Scheduler scheduler,
      String serialName,
      long maxQueuedBytes,
      boolean held,
      Duration writeTimeout,
      FailRule failRule,
      Protocol<T, E> protocol) {
    this.id = Objects.requireNonNull(id, "id");
    this.scheduler = Objects.requireNonNull(scheduler, "scheduler");
    this.callbacks = scheduler.serial(serialName);
    this.failRule = Objects.requireNonNull(failRule, "failRule");
    this.protocol = Objects.requireNonNull(protocol, "protocol");
    this.watchdog =
        new WriteWatchdog(
            scheduler, writeTimeout, this::inFlightSince, this::isEnded, protocol::writeStuck);
    this.queue =
        new WriteQueue<>(
            protocol::write,
            scheduler,
            maxQueuedBytes,
            WriteQueue.Listener.of(watchdog, protocol::writeFailed),
            held);
  }

  private long inFlightSince() {
    return queue.inFlightSince();
  }

  // ---------------------------------------------------------------- state

  /**
   * {@code NEW → OPEN}; false (and nothing changes) if the connection already ended before it
   * opened (a binding reported its end first): then no open callback may run. The close callback of
   * such a connection has run, or will, without an open callback before it.
   *
   * @throws IllegalStateException if {@code open()} succeeded before (whatever the state now)
   */
  public boolean open() {
    State was = (State) STATE.compareAndExchange(this, State.NEW, State.OPEN);
    if (was == State.NEW) {
      opened = true;
      return true;
    }
    if (was == State.CLOSED && !opened) {
      return false;
    }
    throw new IllegalStateException("open() called twice for " + id);
  }

  public State state() {
    return state;
  }

  public boolean isOpen() {
    return state == State.OPEN;
  }

  /** Whether {@link #end} has run (the close callback is scheduled). */
  public boolean isEnded() {
    return result != null;
  }

  /** What the connection ended with, or null while it has not reached {@code CLOSED}. */
  public @Nullable E endValue() {
    return state == State.CLOSED ? result : null;
  }

  /** The end recorded by {@link #close} or a failure, or null if none was. */
  public @Nullable E localEnd() {
    return localEnd;
  }

  /** {@link #localEnd()}, or {@code otherwise} if nothing was recorded. */
  public E localEndOr(E otherwise) {
    E local = localEnd;
    return local != null ? local : otherwise;
  }

  public WriteQueue<T> queue() {
    return queue;
  }

  /** The serial executor for user callbacks. */
  public Executor callbacks() {
    return callbacks;
  }

  public CompletionStage<E> closeFuture() {
    return closeFuture.minimalCompletionStage();
  }

  /**
   * Runs {@code action} once with the end: on the serial executor after {@link Protocol#deliverEnd}
   * and before {@link #closeFuture()} completes, or at once, in this thread, if that has happened.
   * Actions run in registration order; one that throws is logged and the others still run.
   */
  public void whenClosed(Consumer<? super E> action) {
    Objects.requireNonNull(action, "action");
    E end;
    synchronized (this) {
      end = delivered;
      if (end == null) {
        if (closeActions == null) {
          closeActions = new ArrayList<>(2);
        }
        closeActions.add(action);
        return;
      }
    }
    runCloseAction(action, end);
  }

  private void runCloseActions(E end) {
    List<Consumer<? super E>> toRun;
    synchronized (this) {
      delivered = end;
      toRun = closeActions;
      closeActions = null;
    }
    if (toRun != null) {
      for (Consumer<? super E> action : toRun) {
        runCloseAction(action, end);
      }
    }
  }

  private void runCloseAction(Consumer<? super E> action, E end) {
    try {
      action.accept(end);
    } catch (Throwable e) {
      LOG.warn("{}: a whenClosed action threw", id, e);
    }
  }

  // ---------------------------------------------------------------- sending and ending

  /**
   * Offers {@code item} while open: true if it was queued; false if the connection is not open or
   * the policy dropped it; on overflow under {@code CLOSE}, calls {@link Protocol#slowConsumer} and
   * returns false.
   */
  public boolean send(T item, int size, SlowConsumerPolicy policy) {
    if (state != State.OPEN) {
      return false;
    }
    return switch (queue.offer(item, size, policy)) {
      case QUEUED -> true;
      case DROPPED, CLOSED -> false;
      case OVERFLOW -> {
        protocol.slowConsumer();
        yield false;
      }
    };
  }

  /**
   * {@code OPEN → CLOSING} with a graceful {@code end}; the caller then queues its terminal item.
   * False if the connection was not open.
   */
  public boolean close(E end) {
    if (!STATE.compareAndSet(this, State.OPEN, State.CLOSING)) {
      return false;
    }
    localEnd = Objects.requireNonNull(end, "end");
    return true;
  }

  /**
   * Records the failure {@code end} (under the {@link FailRule}), moves to {@code CLOSING} and
   * drops what is queued; the caller decides how the transport ends. False, doing nothing, if the
   * connection is new or has ended.
   */
  public boolean beginFail(E end) {
    return recordFailure(end) != null;
  }

  /** {@link #beginFail}; returns the end to report, or null if the connection is new or ended. */
  private @Nullable E recordFailure(E end) {
    Objects.requireNonNull(end, "end");
    while (true) {
      State s = state;
      if (s == State.NEW || s == State.CLOSED || result != null) {
        return null;
      }
      if (s == State.CLOSING || STATE.compareAndSet(this, s, State.CLOSING)) {
        break;
      }
    }
    E reported = end;
    if (failRule == FailRule.FAILURE_REPLACES_CLOSE) {
      localEnd = end;
    } else {
      E first = localEnd;
      if (first == null) {
        localEnd = end;
      } else {
        reported = first;
      }
    }
    queue.clear();
    return reported;
  }

  /**
   * Ends at once with the failure {@code end}: {@link #beginFail}, then {@link #end}. The caller
   * drops the transport afterwards, so that the failed write that dropping reports finds the
   * connection ended and cannot replace the cause. True if this call ended the connection.
   */
  public boolean fail(E end) {
    E reported = recordFailure(end);
    return reported != null && end(reported, true);
  }

  /**
   * Like {@link #fail}, but drops the transport first (a transport that reports its own end then
   * finds the end recorded), then ends, for a transport that never reports it.
   */
  public boolean abort(E end, Runnable dropTransport) {
    E reported = recordFailure(end);
    if (reported == null) {
      return false;
    }
    dropTransport.run();
    return end(reported, true);
  }

  /**
   * Reaches {@code CLOSED} with {@code end} if nothing has ended the connection yet; true if this
   * call did.
   */
  public boolean end(E end) {
    return end(end, false);
  }

  private boolean end(E end, boolean failed) {
    Objects.requireNonNull(end, "end");
    if (!RESULT.compareAndSet(this, null, end)) {
      return false;
    }
    state = State.CLOSED;
    // Nothing scheduled may keep an ended connection reachable: each task holds it. A timer that
    // is armed concurrently sees CLOSED after storing its handle and cancels it itself.
    for (Timer t : timers) {
      t.cancel();
    }
    watchdog.stop();
    queue.clear();
    protocol.ended(end, failed);
    callbacks.execute(
        () -> {
          try {
            protocol.deliverEnd(end);
          } finally {
            try {
              runCloseActions(end);
            } finally {
              closeFuture.complete(end);
            }
          }
        });
    return true;
  }

  // ---------------------------------------------------------------- timers

  /** A new timer, cancelled when the connection ends. Create timers in the driver's constructor. */
  public Timer timer() {
    Timer t = new Timer();
    timers.add(t);
    return t;
  }

  /** One scheduled task at a time, cancelled when the connection ends. */
  public final class Timer {
    private volatile Scheduler.@Nullable Cancellable task;

    private Timer() {}

    /**
     * Schedules {@code run} after {@code delay}, cancelling the task scheduled before, if it has
     * not run (so that no handle is lost and the end can cancel what is pending).
     */
    public void schedule(Runnable run, Duration delay) {
      Scheduler.Cancellable c = scheduler.schedule(run, delay);
      Scheduler.Cancellable before = (Scheduler.Cancellable) TASK.getAndSet(this, c);
      if (before != null) {
        before.cancel();
      }
      // end() sets CLOSED before it cancels the timers: one of the two sees the other.
      if (state == State.CLOSED) {
        c.cancel();
      }
    }

    /** {@link #schedule} unless this timer has been scheduled before. */
    public void scheduleOnce(Runnable run, Duration delay) {
      if (task == null) {
        schedule(run, delay);
      }
    }

    /** Runs {@code tick} every {@code period} while the connection is open. */
    public void repeat(Runnable tick, Duration period) {
      schedule(
          () -> {
            if (state != State.OPEN) {
              return;
            }
            tick.run();
            if (state == State.OPEN) {
              repeat(tick, period);
            }
          },
          period);
    }

    void cancel() {
      Scheduler.Cancellable c = task;
      if (c != null) {
        c.cancel();
      }
    }
  }
}
