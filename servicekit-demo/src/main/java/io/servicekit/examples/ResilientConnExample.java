package io.servicekit.examples;

import io.servicekit.CloseException;
import io.servicekit.Codec;
import io.servicekit.DecodeException;
import io.servicekit.ErrorAction;
import io.servicekit.JsonCodec;
import io.servicekit.Scheduler;
import io.servicekit.WsConfig;
import io.servicekit.WsHandler;
import io.servicekit.WsListener;
import io.servicekit.WsSession;
import io.servicekit.jetty.ServiceKitServer;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * README "Error Handling and Resilience → Graceful Error Handling" in Java: a connection that
 * survives a few bad messages, and warns the client before closing it for inactivity.
 *
 * <pre>{@code
 * ResilientConnExample app = new ResilientConnExample(5, Duration.ofMinutes(5));
 * try (ServiceKitServer server = app.server(8080, WsConfig.defaults()).start()) {
 *   server.join();
 * }
 * }</pre>
 *
 * <p>Valid messages are echoed. Each tolerated error is answered with the error envelope {@code
 * {"error":"<problem> (message dropped; error n of max tolerated)","type":"error"}}; the error
 * after {@code maxErrors} closes the connection with the error's close code (1007 for invalid
 * JSON). An error budget is restored after {@code errorWindow} without errors.
 *
 * <p>What differs from the Go sample, and why:
 *
 * <ul>
 *   <li>It works. In Go, after the first decode error the library's reader has stopped for good, so
 *       {@code OnError} returning {@code nil} ("continue") leaves a connection that never receives
 *       again (upstream W-05). Here {@link ErrorAction#CONTINUE} drops only the bad message and
 *       reading goes on.
 *   <li>Go's reset never happens: it sets {@code lastErrorTime = time.Now()} and then tests {@code
 *       time.Since(lastErrorTime) > 5 minutes}. Here the quiet period is measured from the previous
 *       error, before recording the new one, on the endpoint's {@link Scheduler} clock (monotonic,
 *       and fake in tests).
 *   <li>The client is told which message was dropped and why, instead of only the server log.
 *   <li>A {@link CloseException} thrown on purpose by the application is not counted as a tolerable
 *       error: it closes as asked.
 *   <li>{@code onTimeout}'s warning really arrives: the close after it is graceful (queued frames
 *       first, then a 1001 close frame). In Go the socket is closed without a close frame right
 *       after the unchecked send, so the warning may never be written.
 *   <li>The counters need no locks: a connection's callbacks never run concurrently.
 * </ul>
 */
public final class ResilientConnExample {
  private static final Logger LOG = LoggerFactory.getLogger(ResilientConnExample.class);

  /** The endpoint's path. */
  public static final String PATH = "/resilient";

  private final int maxErrors;
  private final Duration errorWindow;

  /**
   * @param maxErrors errors tolerated within {@code errorWindow}; the next one closes
   * @param errorWindow quiet period after which the error count starts again from zero
   */
  public ResilientConnExample(int maxErrors, Duration errorWindow) {
    if (maxErrors < 0) {
      throw new IllegalArgumentException("maxErrors must be >= 0: " + maxErrors);
    }
    if (errorWindow.isNegative() || errorWindow.isZero()) {
      throw new IllegalArgumentException("errorWindow must be positive: " + errorWindow);
    }
    this.maxErrors = maxErrors;
    this.errorWindow = errorWindow;
  }

  /** Echoes valid messages, tolerates up to {@code maxErrors} bad ones per error window. */
  public static final class ResilientConn implements WsListener<Object, Object> {
    @Override
    public Codec<Object, Object> codec() {
      return JsonCodec.INSTANCE;
    }

    @Override
    public String name() {
      return "ResilientConn";
    }

    private final int maxErrors;
    private final long errorWindowNanos;
    private final Scheduler clock;
    // Only touched by callbacks, which never run concurrently.
    private int errorCount;
    private long lastErrorNanos;

    ResilientConn(int maxErrors, Duration errorWindow, Scheduler clock) {
      this.maxErrors = maxErrors;
      this.errorWindowNanos = errorWindow.toNanos();
      this.clock = Objects.requireNonNull(clock, "clock");
    }

    @Override
    public void onMessage(WsSession<Object> session, Object message) {
      session.send(message);
    }

    @Override
    public ErrorAction onError(WsSession<Object> session, Throwable error) {
      if (error instanceof CloseException && !(error instanceof DecodeException)) {
        return ErrorAction.CLOSE; // an intended close, not a client mistake
      }
      long now = clock.nanoTime();
      if (errorCount > 0 && now - lastErrorNanos > errorWindowNanos) {
        errorCount = 0; // a quiet period: start a fresh budget
      }
      errorCount++;
      lastErrorNanos = now;
      LOG.debug("{}: error #{}: {}", this, errorCount, error.toString());
      if (errorCount > maxErrors) {
        LOG.info("{}: too many errors ({}), closing connection", this, errorCount);
        return ErrorAction.CLOSE; // closes with the error's code: 1007 for invalid JSON
      }
      // A decode error's reason names the problem; other exceptions may hold internals.
      String problem =
          error instanceof DecodeException de ? de.status().reason() : "internal error";
      session.sendError(
          problem + " (message dropped; error " + errorCount + " of " + maxErrors + " tolerated)");
      return ErrorAction.CONTINUE;
    }

    /** Warns the client, then closes (1001); the warning is written before the close frame. */
    @Override
    public boolean onTimeout(WsSession<Object> session) {
      LOG.info("Connection timeout for {}", session.id());
      Map<String, Object> warning = new LinkedHashMap<>();
      warning.put("type", "timeout_warning");
      warning.put("message", "Connection will be closed due to inactivity");
      session.send(warning);
      return true;
    }
  }

  /** Creates connections that measure the error window on {@code config}'s scheduler. */
  public WsHandler<Object, Object> handler(WsConfig config) {
    Scheduler clock = config.scheduler();
    return request -> new ResilientConn(maxErrors, errorWindow, clock);
  }

  /** A server with the endpoint at {@link #PATH}; not started. */
  public ServiceKitServer server(int port, WsConfig config) {
    return ServiceKitServer.builder().port(port).ws(PATH, handler(config), config).build();
  }

  /** Runs the server on port 8080 (5 errors per 5 minutes) until the process is stopped. */
  public static void main(String[] args) throws Exception {
    ResilientConnExample app = new ResilientConnExample(5, Duration.ofMinutes(5));
    try (ServiceKitServer server = app.server(8080, WsConfig.defaults()).start()) {
      LOG.info("Resilient echo server listening on {}", server.wsUri(PATH));
      server.join();
    }
  }
}
