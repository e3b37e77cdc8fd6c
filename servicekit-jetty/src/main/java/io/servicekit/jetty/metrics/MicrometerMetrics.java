package io.servicekit.jetty.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.FileDescriptorMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.servicekit.spi.MetricsListener;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;
import org.jspecify.annotations.Nullable;

/**
 * A {@link MetricsListener} that records Micrometer meters. Needs {@code
 * io.micrometer:micrometer-core} on the class path (an optional dependency of this module). Every
 * meter is tagged {@code kind} ({@code websocket}/{@code sse}) and {@code route} (the route
 * pattern, never a raw path):
 *
 * <table>
 *   <caption>Meters</caption>
 *   <tr><th>name</th><th>type</th><th>extra tags</th></tr>
 *   <tr><td>{@code servicekit.connections.active}</td><td>gauge</td><td></td></tr>
 *   <tr><td>{@code servicekit.connections.opened}</td><td>counter</td><td></td></tr>
 *   <tr><td>{@code servicekit.connections.closed}</td><td>counter</td><td>{@code code}</td></tr>
 *   <tr><td>{@code servicekit.connection.duration}</td><td>timer</td><td></td></tr>
 *   <tr><td>{@code servicekit.messages}</td><td>counter</td><td>{@code direction} in/out</td></tr>
 *   <tr><td>{@code servicekit.bytes}</td><td>counter</td><td>{@code direction} in/out</td></tr>
 *   <tr><td>{@code servicekit.messages.dropped}</td><td>counter</td><td></td></tr>
 *   <tr><td>{@code servicekit.slow_consumer.closes}</td><td>counter</td><td></td></tr>
 *   <tr><td>{@code servicekit.errors}</td><td>counter</td><td>{@code type}</td></tr>
 *   <tr><td>{@code servicekit.queue.bytes}</td><td>gauge</td><td></td></tr>
 *   <tr><td>{@code servicekit.handshake.rejections}</td><td>counter</td><td>{@code reason}
 *       (no {@code kind})</td></tr>
 * </table>
 *
 * The meters without a per-event tag ({@code active}, {@code opened}, {@code duration}, {@code
 * messages}, {@code bytes}, {@code messages.dropped}, {@code slow_consumer.closes}) are registered
 * with zero values for every WebSocket and SSE route when the server is built ({@link
 * #routeAdded}), so a scrape shows them before the first connection; those tagged by event ({@code
 * closed} by code, {@code errors} by type, {@code handshake.rejections} by reason) appear with
 * their first occurrence.
 *
 * <p>{@link #bindJvmAndProcessMetrics()} adds Micrometer's JVM and process binders (memory, GC,
 * threads, class loading, CPU, uptime, open files); {@link #close()} releases the GC listener.
 *
 * <p>Meters are looked up once per tag combination and cached. Thread-safe.
 */
public final class MicrometerMetrics implements MetricsListener, AutoCloseable {
  private final MeterRegistry registry;
  private final Map<String, AtomicLong> active = new ConcurrentHashMap<>();
  private final Map<String, Counter> counters = new ConcurrentHashMap<>();
  private final Map<String, Timer> timers = new ConcurrentHashMap<>();
  private volatile @Nullable JvmGcMetrics gc;

  /** Records into {@code registry}. */
  public MicrometerMetrics(MeterRegistry registry) {
    this.registry = Objects.requireNonNull(registry, "registry");
  }

  /** The registry meters go to. */
  public MeterRegistry registry() {
    return registry;
  }

  /**
   * Binds Micrometer's {@link JvmMemoryMetrics}, {@link JvmGcMetrics}, {@link JvmThreadMetrics},
   * {@link ClassLoaderMetrics}, {@link ProcessorMetrics}, {@link UptimeMetrics} and {@link
   * FileDescriptorMetrics} to the registry ({@code jvm_memory_used_bytes}, {@code
   * process_cpu_usage}, {@code process_files_open_files}...). Once per instance; returns this.
   */
  public synchronized MicrometerMetrics bindJvmAndProcessMetrics() {
    if (gc != null) {
      return this;
    }
    new JvmMemoryMetrics().bindTo(registry);
    JvmGcMetrics gcMetrics = new JvmGcMetrics();
    gcMetrics.bindTo(registry);
    new JvmThreadMetrics().bindTo(registry);
    new ClassLoaderMetrics().bindTo(registry);
    new ProcessorMetrics().bindTo(registry);
    new UptimeMetrics().bindTo(registry);
    new FileDescriptorMetrics().bindTo(registry);
    gc = gcMetrics;
    return this;
  }

  /** Stops the GC listener of {@link #bindJvmAndProcessMetrics()} (if bound); meters remain. */
  @Override
  public synchronized void close() {
    JvmGcMetrics g = gc;
    if (g != null) {
      g.close();
    }
  }

  @Override
  public void routeAdded(Kind kind, String route) {
    activeGauge(kind, route);
    counter("servicekit.connections.opened", tags(kind, route));
    for (String direction : new String[] {"in", "out"}) {
      Tags t = tags(kind, route).and("direction", direction);
      counter("servicekit.messages", t);
      counter("servicekit.bytes", t);
    }
    counter("servicekit.messages.dropped", tags(kind, route));
    counter("servicekit.slow_consumer.closes", tags(kind, route));
    timer(kind, route);
  }

  @Override
  public void handshakeRejected(String route, String reason) {
    counter("servicekit.handshake.rejections", Tags.of("route", route, "reason", reason))
        .increment();
  }

  @Override
  public void opened(Kind kind, String route) {
    activeGauge(kind, route).incrementAndGet();
    counter("servicekit.connections.opened", tags(kind, route)).increment();
  }

  @Override
  public void closed(Kind kind, String route, int code, Duration lifetime) {
    activeGauge(kind, route).decrementAndGet();
    counter("servicekit.connections.closed", tags(kind, route).and("code", Integer.toString(code)))
        .increment();
    timer(kind, route).record(lifetime);
  }

  private Timer timer(Kind kind, String route) {
    return timers.computeIfAbsent(
        "duration|" + kind + "|" + route,
        k ->
            Timer.builder("servicekit.connection.duration")
                .description("How long connections and streams stayed open")
                .tags(tags(kind, route))
                .register(registry));
  }

  @Override
  public void messageIn(Kind kind, String route, long bytes) {
    traffic(kind, route, "in", bytes);
  }

  @Override
  public void messageOut(Kind kind, String route, long bytes) {
    traffic(kind, route, "out", bytes);
  }

  @Override
  public void dropped(Kind kind, String route, long count) {
    counter("servicekit.messages.dropped", tags(kind, route)).increment(count);
  }

  @Override
  public void slowConsumerClosed(Kind kind, String route) {
    counter("servicekit.slow_consumer.closes", tags(kind, route)).increment();
  }

  @Override
  public void error(Kind kind, String route, String type) {
    counter("servicekit.errors", tags(kind, route).and("type", type)).increment();
  }

  @Override
  public void queuedBytes(Kind kind, String route, LongSupplier bytes) {
    Gauge.builder("servicekit.queue.bytes", bytes, s -> (double) s.getAsLong())
        .description("Bytes queued for sending on open connections")
        .baseUnit("bytes")
        .tags(tags(kind, route))
        .register(registry);
  }

  private void traffic(Kind kind, String route, String direction, long bytes) {
    Tags t = tags(kind, route).and("direction", direction);
    counter("servicekit.messages", t).increment();
    counter("servicekit.bytes", t).increment(bytes);
  }

  private AtomicLong activeGauge(Kind kind, String route) {
    return active.computeIfAbsent(
        kind + "|" + route,
        k -> {
          AtomicLong value = new AtomicLong();
          Gauge.builder("servicekit.connections.active", value, AtomicLong::get)
              .description("Open WebSocket connections and SSE streams")
              .tags(tags(kind, route))
              .register(registry);
          return value;
        });
  }

  private Counter counter(String name, Tags tags) {
    return counters.computeIfAbsent(
        name + tags, k -> Counter.builder(name).tags(tags).register(registry));
  }

  private static Tags tags(Kind kind, String route) {
    return Tags.of("kind", kind.tag(), "route", route);
  }
}
