package io.servicekit.demo;

import io.servicekit.CloseStatus;
import io.servicekit.Hub;
import io.servicekit.JsonCodec;
import io.servicekit.Request;
import io.servicekit.Scheduler;
import io.servicekit.WsHandler;
import io.servicekit.broker.Broker;
import java.time.Clock;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The upstream {@code timews} demo: a time feed fanned out to every WebSocket subscriber, plus
 * messages published over HTTP ({@link PublishHandler}) or by a subscriber.
 *
 * <ul>
 *   <li>Every {@link #DEFAULT_PERIOD} (1 s) each subscriber gets {@code
 *       {"type":"time","time":"<ISO-8601 instant>"}}; a new subscriber gets one at once.
 *   <li>{@link #publish(String)} sends {@code {"type":"published","msg":"..."}} to every subscriber
 *       and returns how many queued it.
 * </ul>
 *
 * <p>One ticker serves all subscribers: a task on the {@link Scheduler} that re-schedules itself,
 * not a thread per connection. Delivery goes through a {@link Hub}, so it never blocks: a slow
 * subscriber only fills its own bounded queue (and is closed by its slow-consumer policy), while
 * the others keep getting their ticks — unlike upstream's fan-out, where one stuck subscriber
 * stalled everyone.
 *
 * <p>Thread-safe. Call {@link #start()} once the server runs and {@link #stop()} when it stops.
 */
public final class TimeService implements WsHandler<Object, Object> {
  private static final Logger LOG = LoggerFactory.getLogger(TimeService.class);

  /** Interval between time messages. */
  public static final Duration DEFAULT_PERIOD = Duration.ofSeconds(1);

  /** Longest published message, in characters (code points). */
  public static final int MAX_MESSAGE_LENGTH = 2000;

  /** Broker topic of the time hub. */
  public static final String TOPIC = "servicekit.demo.time";

  private final Hub<Object> hub = new Hub<>();
  private final Scheduler scheduler;
  private final Clock clock;
  private final Duration period;
  private final AtomicBoolean running = new AtomicBoolean();
  private volatile Scheduler.Cancellable next;

  /** A time feed ticking every second on the system scheduler and clock. */
  public TimeService() {
    this(Scheduler.system(), Clock.systemUTC(), DEFAULT_PERIOD);
  }

  /** A time feed ticking every {@code period} on {@code scheduler}, reading {@code clock}. */
  public TimeService(Scheduler scheduler, Clock clock, Duration period) {
    this(scheduler, clock, period, null);
  }

  /**
   * Like {@link #TimeService(Scheduler, Clock, Duration)}, with published messages reaching the
   * subscribers of every process on {@code broker} (null: this process only). Each process sends
   * its own subscribers the time, so a subscriber gets one time message per period wherever it is.
   */
  public TimeService(Scheduler scheduler, Clock clock, Duration period, Broker broker) {
    this.scheduler = Objects.requireNonNull(scheduler, "scheduler");
    this.clock = Objects.requireNonNull(clock, "clock");
    if (period.isNegative() || period.isZero()) {
      throw new IllegalArgumentException("period must be positive: " + period);
    }
    this.period = period;
    if (broker != null) {
      hub.cluster(broker, TOPIC, JsonCodec.INSTANCE);
    }
  }

  @Override
  public TimeConn accept(Request request) {
    return new TimeConn(this);
  }

  /** Starts the ticker; idempotent. */
  public void start() {
    if (running.compareAndSet(false, true)) {
      next = scheduler.schedule(this::tick, period);
    }
  }

  /** Stops the ticker and closes every subscriber with 1001; idempotent. */
  public void stop() {
    if (running.compareAndSet(true, false)) {
      Scheduler.Cancellable task = next;
      if (task != null) {
        task.cancel();
      }
      hub.closeAll(CloseStatus.of(CloseStatus.GOING_AWAY, "server shutting down"));
    }
  }

  /** Whether the ticker runs. */
  public boolean isRunning() {
    return running.get();
  }

  /**
   * Sends {@code {"type":"published","msg":msg}} to every subscriber, on every process when
   * clustered. Never blocks.
   *
   * @return completes with the number of this process's subscribers that queued it once the broker
   *     (if any) has taken it for the other processes; fails with {@link
   *     io.servicekit.broker.BrokerUnavailableException} when the broker is down (nobody got it) or
   *     failed after local delivery
   * @throws IllegalArgumentException if {@code msg} is empty or longer than {@value
   *     #MAX_MESSAGE_LENGTH} characters
   */
  public CompletionStage<Integer> publish(String msg) {
    String problem = messageProblem(msg);
    if (problem != null) {
      throw new IllegalArgumentException(problem);
    }
    Map<String, Object> event = new LinkedHashMap<>();
    event.put("type", "published");
    event.put("msg", msg);
    return hub.broadcastAsync(event);
  }

  /** The hub of subscribers. */
  public Hub<Object> hub() {
    return hub;
  }

  /** The current time message. */
  Map<String, Object> timeEvent() {
    Map<String, Object> event = new LinkedHashMap<>();
    event.put("type", "time");
    event.put("time", clock.instant().toString());
    return event;
  }

  /** Why {@code msg} cannot be published, or null if it can. */
  static String messageProblem(String msg) {
    if (msg == null || msg.isEmpty()) {
      return "msg is required and must not be empty";
    }
    int length = msg.codePointCount(0, msg.length());
    if (length > MAX_MESSAGE_LENGTH) {
      return "msg must be at most " + MAX_MESSAGE_LENGTH + " characters, got " + length;
    }
    return null;
  }

  private void tick() {
    if (!running.get()) {
      return;
    }
    try {
      if (hub.size() > 0) {
        hub.broadcastIf(member -> true, timeEvent()); // this process's subscribers only
      }
    } catch (RuntimeException e) {
      LOG.warn("time tick failed", e); // keep ticking: one bad tick must not end the feed
    } finally {
      if (running.get()) {
        next = scheduler.schedule(this::tick, period);
      }
    }
  }
}
