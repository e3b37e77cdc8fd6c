package io.servicekit.jetty;

import io.servicekit.CloseStatus;
import io.servicekit.Scheduler;
import io.servicekit.internal.Check;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.eclipse.jetty.util.component.LifeCycle;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs a {@link ServiceKitServer} until a signal or a cancellation, then stops it gracefully — the
 * Go library's {@code ListenAndServeGraceful}, with its defects fixed.
 *
 * <pre>{@code
 * GracefulShutdown.of(server)
 *     .drainTimeout(Duration.ofSeconds(10))
 *     .onShutdown(() -> sseHub.closeAll())   // while connections are still open
 *     .run();                                // returns once stopped
 * }</pre>
 *
 * <p>Order of operations:
 *
 * <ol>
 *   <li>Start the server if it is not started; a start failure (port in use) is thrown at once,
 *       without callbacks or drain.
 *   <li>Wait for the first of: one of the {@linkplain #signals signals} (default {@code TERM},
 *       {@code INT}), the {@linkplain #cancelOn parent stage} completing, {@link #trigger}, or the
 *       server being stopped by someone else.
 *   <li>Run the {@link #onShutdown} callbacks in registration order while every connection is still
 *       open (so an SSE hub can send a final event). Each runs on its own virtual thread and is
 *       given {@link #callbackTimeout} (default 10 s); one that throws or overruns is reported and
 *       the next one runs (upstream had no bound and no isolation: W-46).
 *   <li>Refuse new requests and WebSocket upgrades at once with 503 {@code server shutting down}
 *       and {@code Connection: close} (the connector keeps accepting during the drain, so a client
 *       gets this answer rather than a refused connection).
 *   <li>Close every open WebSocket with <b>1001</b> {@code server shutting down} (upstream never
 *       told hijacked connections: W-45).
 *   <li>Wait up to the {@linkplain #drainTimeout drain timeout} (default 30 s) for in-flight
 *       requests, SSE streams and the WebSocket close handshakes. A second signal cuts the wait
 *       short (W-47).
 *   <li>Stop the server, force-closing whatever is left (upstream left handlers running: W-44).
 * </ol>
 *
 * {@link #run()} returns a {@link Report} when nothing was cut, and throws {@link
 * IncompleteShutdownException}, whose message says what was cut, when the drain deadline or a
 * second signal ended requests or connections, or a callback failed. Signal handlers are removed
 * when it returns.
 */
public final class GracefulShutdown {
  private static final Logger LOG = LoggerFactory.getLogger(GracefulShutdown.class);

  /** The close status sent to open WebSockets. */
  public static final CloseStatus GOING_AWAY =
      CloseStatus.of(CloseStatus.GOING_AWAY, "server shutting down");

  private final ServiceKitServer server;
  private Duration drainTimeout = Duration.ofSeconds(30);
  private Duration callbackTimeout = Duration.ofSeconds(10);
  private List<String> signals = List.of("TERM", "INT");
  private final List<Runnable> callbacks = new ArrayList<>();
  private final CompletableFuture<String> trigger = new CompletableFuture<>();
  private final CompletableFuture<String> force = new CompletableFuture<>();
  private final CompletableFuture<Void> ready = new CompletableFuture<>();

  private GracefulShutdown(ServiceKitServer server) {
    this.server = Objects.requireNonNull(server, "server");
  }

  /** Graceful shutdown for {@code server}, with the defaults. */
  public static GracefulShutdown of(ServiceKitServer server) {
    return new GracefulShutdown(server);
  }

  /** Longest wait for in-flight work after the callbacks; default 30 s. */
  public GracefulShutdown drainTimeout(Duration timeout) {
    this.drainTimeout = Check.positive("drainTimeout", timeout);
    return this;
  }

  /** Longest run of each {@link #onShutdown} callback; default 10 s. */
  public GracefulShutdown callbackTimeout(Duration timeout) {
    this.callbackTimeout = Check.positive("callbackTimeout", timeout);
    return this;
  }

  /**
   * Replaces the signals that start the shutdown (names without {@code SIG}: {@code TERM}, {@code
   * INT}, {@code HUP}, {@code USR2}...). A second one during the drain forces the stop.
   *
   * @throws IllegalArgumentException for an empty list (in Go it meant "every signal": W-47); use
   *     {@link #noSignals()} to rely on {@link #cancelOn} or {@link #trigger} only
   */
  public GracefulShutdown signals(String... names) {
    if (names.length == 0) {
      throw new IllegalArgumentException(
          "signals() needs at least one signal name such as TERM; use noSignals() for none");
    }
    List<String> list = new ArrayList<>();
    for (String n : names) {
      String name = Objects.requireNonNull(n, "signal name").trim();
      list.add(name.startsWith("SIG") ? name.substring(3) : name);
    }
    this.signals = List.copyOf(list);
    return this;
  }

  /** Handles no signal: only {@link #cancelOn} or {@link #trigger} start the shutdown. */
  public GracefulShutdown noSignals() {
    this.signals = List.of();
    return this;
  }

  /** Appends a callback run before the drain, while connections are open. */
  public GracefulShutdown onShutdown(Runnable callback) {
    callbacks.add(Objects.requireNonNull(callback, "callback"));
    return this;
  }

  /** Starts the shutdown when {@code parent} completes (normally or not): Go's context. */
  public GracefulShutdown cancelOn(CompletionStage<?> parent) {
    parent.whenComplete((r, x) -> trigger("parent cancelled"));
    return this;
  }

  /**
   * Completes once {@link #run()} has started the server and installed its signal handlers, i.e.
   * from when a signal starts a graceful shutdown (before that, the JVM's default handling
   * applies).
   */
  public CompletionStage<Void> ready() {
    return ready.minimalCompletionStage();
  }

  /** Starts the shutdown now (from any thread); {@code why} is logged. */
  public void trigger(String why) {
    trigger.complete(why);
  }

  /**
   * Serves until triggered, then shuts down as described above.
   *
   * @return what happened, when nothing was cut
   * @throws IncompleteShutdownException when requests or connections were cut or a callback failed
   * @throws Exception when the server fails to start
   */
  public Report run() throws Exception {
    if (!server.jetty().isStarted()) {
      server.start(); // a failure here is the server's error, returned before anything else
    }
    LifeCycle.Listener stopped =
        new LifeCycle.Listener() {
          @Override
          public void lifeCycleStopping(LifeCycle event) {
            trigger("server stopped");
          }
        };
    server.jetty().addEventListener(stopped);
    Signals.Registration registration =
        signals.isEmpty()
            ? () -> {}
            : Signals.handle(
                signals,
                name -> {
                  if (!trigger.complete("received signal SIG" + name)) {
                    LOG.warn("received signal SIG{} again: forcing shutdown", name);
                    force.complete("second signal SIG" + name);
                  }
                });
    boolean interrupted = false;
    ready.complete(null);
    try {
      String why;
      try {
        why = trigger.get();
      } catch (InterruptedException e) {
        interrupted = true;
        why = "interrupted";
      }
      LOG.info("{}, shutting down...", capitalized(why));
      return shutDown(why);
    } finally {
      registration.close();
      server.jetty().removeEventListener(stopped);
      if (interrupted) {
        Thread.currentThread().interrupt();
      }
    }
  }

  private Report shutDown(String why) throws IncompleteShutdownException {
    long start = System.nanoTime();
    List<String> failures = new ArrayList<>();
    for (int i = 0; i < callbacks.size(); i++) {
      String failure = runCallback(i + 1, callbacks.get(i));
      if (failure != null) {
        LOG.warn("shutdown {}", failure);
        failures.add(failure);
      }
    }
    boolean alreadyStopped = !server.jetty().isRunning();
    CompletableFuture<Void> drained =
        alreadyStopped ? CompletableFuture.completedFuture(null) : server.gate().drain();
    int webSockets = server.webSocketSessions().size();
    CompletableFuture<Void> closed = server.closeWebSockets(GOING_AWAY, true);
    // Streams nobody else ends (SSE outside a hub, Streamable/MCP streams) get their final event
    // now rather than being cut at the end of the drain; their requests are what drained awaits.
    CompletableFuture<Void> streamsEnded =
        alreadyStopped ? CompletableFuture.completedFuture(null) : server.endStreams();
    String forced = null;
    try {
      CompletableFuture.anyOf(
              CompletableFuture.allOf(drained, closed, streamsEnded.exceptionally(x -> null)),
              force)
          .get(drainTimeout.toNanos(), TimeUnit.NANOSECONDS);
      forced = force.getNow(null);
    } catch (TimeoutException e) {
      forced = "drain timeout " + text(drainTimeout) + " exceeded";
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      forced = "interrupted";
    } catch (ExecutionException e) {
      forced = "drain failed: " + e.getCause();
    }
    int requestsCut = forced == null ? 0 : server.inFlightRequests();
    int webSocketsCut = forced == null ? 0 : server.webSocketSessions().size();
    server.gate().endDrain();
    // Everything that could finish has had its time: no second graceful phase inside Jetty's stop
    // (its stop timeout would otherwise wait again for what we are cutting).
    server.jetty().setStopTimeout(0);
    try {
      server.stop();
    } catch (Exception e) {
      failures.add("stopping the server failed: " + e);
    }
    Report report =
        new Report(
            why,
            Duration.ofNanos(System.nanoTime() - start),
            webSockets,
            forced,
            requestsCut,
            webSocketsCut,
            List.copyOf(failures));
    if (!report.clean()) {
      LOG.warn("Shutdown error: {}", report.summary());
      throw new IncompleteShutdownException(report);
    }
    LOG.info("Server shut down gracefully");
    return report;
  }

  private @Nullable String runCallback(int index, Runnable callback) {
    CompletableFuture<Void> done = new CompletableFuture<>();
    // The wait below is real time: the callbacks run on the system scheduler's threads.
    Scheduler.system()
        .execute(
            "servicekit-shutdown-callback-" + index,
            () -> {
              try {
                callback.run();
                done.complete(null);
              } catch (Throwable t) {
                done.completeExceptionally(t);
              }
            });
    try {
      done.get(callbackTimeout.toNanos(), TimeUnit.NANOSECONDS);
      return null;
    } catch (TimeoutException e) {
      return "callback #" + index + " still running after " + text(callbackTimeout);
    } catch (ExecutionException e) {
      return "callback #" + index + " failed: " + e.getCause();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return "callback #" + index + " interrupted";
    }
  }

  private static String capitalized(String s) {
    return s.isEmpty() ? s : Character.toUpperCase(s.charAt(0)) + s.substring(1);
  }

  private static String text(Duration d) {
    return d.toMillis() % 1000 == 0 ? d.toSeconds() + "s" : d.toMillis() + "ms";
  }

  /**
   * What a shutdown did.
   *
   * @param trigger what started it ({@code received signal SIGTERM}, {@code parent cancelled}...)
   * @param took from the trigger to the stopped server
   * @param webSocketsClosed WebSockets that were sent 1001
   * @param forcedBy why the drain was cut short, or null if everything finished in time
   * @param requestsCut HTTP requests and SSE streams still running when the server was stopped
   * @param webSocketsCut WebSockets still open when the server was stopped
   * @param callbackFailures callbacks that threw or overran
   */
  public record Report(
      String trigger,
      Duration took,
      int webSocketsClosed,
      String forcedBy,
      int requestsCut,
      int webSocketsCut,
      List<String> callbackFailures) {
    /** Whether nothing was cut and no callback failed. */
    public boolean clean() {
      return forcedBy == null
          && requestsCut == 0
          && webSocketsCut == 0
          && callbackFailures.isEmpty();
    }

    /** One line saying what was cut, e.g. for a log or an exit message. */
    public String summary() {
      List<String> parts = new ArrayList<>();
      if (forcedBy != null) {
        parts.add(
            forcedBy
                + ": force-closed "
                + requestsCut
                + " in-flight request(s)/stream(s) and "
                + webSocketsCut
                + " WebSocket connection(s)");
      }
      parts.addAll(callbackFailures);
      return parts.isEmpty() ? "shut down cleanly" : String.join("; ", parts);
    }
  }

  /** Thrown by {@link #run()} when the shutdown had to cut something; see {@link #report()}. */
  public static final class IncompleteShutdownException extends Exception {
    private final Report report;

    IncompleteShutdownException(Report report) {
      super("shutdown incomplete (" + report.trigger() + "): " + report.summary());
      this.report = report;
    }

    /** What happened. */
    public Report report() {
      return report;
    }
  }
}
