package io.servicekit.mcp;

import io.servicekit.Scheduler;
import io.servicekit.sse.EventStore;
import io.servicekit.streamable.SingleResponse;
import io.servicekit.streamable.StreamableRequest;
import java.lang.ref.WeakReference;
import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tools.jackson.databind.JsonNode;

/**
 * The live sessions: lookup by {@code Mcp-Session-Id}, creation within {@code maxSessions}, and the
 * idle sweep. The sweep timer is armed only while sessions exist and holds the store weakly.
 */
final class SessionStore {
  private static final Logger LOG = LoggerFactory.getLogger(McpEndpoint.class);

  private final Map<String, McpSession> sessions = new ConcurrentHashMap<>();
  private final EventStore events;
  private final Scheduler scheduler;
  private final int maxSessions;
  private final Duration idleTimeout;
  private final Duration sweepPeriod;
  private final Limits limits;
  private final Object sweepLock = new Object();
  private @Nullable Sweeper
      sweeper; // the armed sweep task, guarded by sweepLock; null when not armed
  private Scheduler.@Nullable Cancellable sweepTimer; // its handle, guarded by sweepLock

  SessionStore(
      EventStore events,
      Scheduler scheduler,
      int maxSessions,
      Duration idleTimeout,
      Limits limits) {
    this.events = events;
    this.limits = limits;
    this.scheduler = scheduler;
    this.maxSessions = maxSessions;
    this.idleTimeout = idleTimeout;
    this.sweepPeriod = sweepPeriod(idleTimeout);
  }

  /** How often idle sessions are looked for: half the timeout, between 100 ms and 60 s. */
  static Duration sweepPeriod(Duration idleTimeout) {
    Duration half = idleTimeout.dividedBy(2);
    Duration max = Duration.ofSeconds(60);
    Duration min = Duration.ofMillis(100);
    return half.compareTo(max) > 0 ? max : half.compareTo(min) < 0 ? min : half;
  }

  int size() {
    return sessions.size();
  }

  boolean isEmpty() {
    return sessions.isEmpty();
  }

  @Nullable McpSession get(String id) {
    return sessions.get(id);
  }

  boolean contains(String id) {
    return sessions.containsKey(id);
  }

  /** The live sessions (a weakly consistent view). */
  Collection<McpSession> all() {
    return sessions.values();
  }

  /** The request's session, or the answer refusing it (400 without the header, 404 unknown). */
  SessionOrError of(StreamableRequest request) {
    Optional<String> id = request.header(McpEndpoint.SESSION_HEADER).filter(s -> !s.isBlank());
    if (id.isEmpty()) {
      return new SessionOrError.Refused(
          HttpFront.error(
              400, McpError.SERVER_ERROR, "Bad Request: Mcp-Session-Id header is required"));
    }
    McpSession s = sessions.get(id.get().trim());
    if (s == null || s.isEnded()) {
      return new SessionOrError.Refused(notFound(id.get()));
    }
    if (!s.touch()) { // expired between the lookup and now
      return new SessionOrError.Refused(notFound(id.get()));
    }
    return new SessionOrError.Found(s);
  }

  /** A session, or the answer refusing the request. */
  sealed interface SessionOrError {
    /** The request's session. */
    record Found(McpSession session) implements SessionOrError {}

    /** The answer refusing the request. */
    record Refused(SingleResponse error) implements SessionOrError {}
  }

  static SingleResponse notFound(String id) {
    return HttpFront.error(
        404,
        McpError.SESSION_NOT_FOUND,
        "Session not found: "
            + HttpFront.abbreviate(id)
            + " (unknown, ended or expired; initialize again)");
  }

  /** A new session, or null when {@code maxSessions} live (after sweeping overdue ones). */
  @Nullable McpSession create(String version, JsonNode caps, JsonNode info) {
    if (sessions.size() >= maxSessions) {
      sweep(); // make room if some are overdue (the timer may not have run yet)
    }
    if (sessions.size() >= maxSessions) {
      return null;
    }
    String id = SessionIds.generate();
    McpSession session = new McpSession(id, version, caps, info, events, limits, scheduler);
    sessions.put(id, session);
    armSweep();
    return session;
  }

  int maxSessions() {
    return maxSessions;
  }

  /** Removes and ends {@code session}. */
  void end(McpSession session, String why) {
    sessions.remove(session.id, session);
    session.end(why);
  }

  /** Ends every session and stops the sweep. */
  void closeAll() {
    synchronized (sweepLock) {
      if (sweepTimer != null) {
        sweepTimer.cancel();
      }
      sweeper = null;
      sweepTimer = null;
    }
    for (McpSession s : sessions.values()) {
      sessions.remove(s.id);
      s.end("the server is shutting down");
    }
  }

  /**
   * Graceful end of every session (see {@link McpEndpoint#shutdown(Duration)}): running requests
   * answered, streams flushed within {@code grace}, then {@link #closeAll}.
   */
  CompletableFuture<Void> shutdown(Duration grace) {
    CompletableFuture<Void> done = new CompletableFuture<>();
    List<McpSession> all = List.copyOf(sessions.values());
    for (McpSession s : all) {
      s.beginShutdown("server shutting down");
    }
    Thread.ofVirtual()
        .name("servicekit-mcp-shutdown")
        .start(
            () -> {
              long deadline = System.nanoTime() + grace.toNanos();
              try {
                for (McpSession s : all) {
                  for (McpStream stream : s.streams()) {
                    if (!stream.awaitFinished(deadline)) {
                      LOG.warn("{} did not finish within {}: ending it", stream, grace);
                      stream.end();
                    }
                  }
                }
              } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
              } finally {
                closeAll();
                done.complete(null);
              }
            });
    return done;
  }

  /** Ends sessions idle for the timeout: no request, no running request, no attached stream. */
  private void sweep() {
    long limit = idleTimeout.toNanos();
    for (McpSession s : sessions.values()) {
      if (s.expireIfIdle(limit)) {
        sessions.remove(s.id, s);
        s.end("session expired");
        LOG.debug("MCP session {} expired after {} idle", s.id, idleTimeout);
      }
    }
  }

  /** Schedules the next sweep unless one is scheduled. */
  private void armSweep() {
    synchronized (sweepLock) {
      if (sweeper == null) {
        sweeper = new Sweeper(this);
        sweepTimer = scheduler.schedule(sweeper, sweepPeriod);
      }
    }
  }

  /** The sweep timer fired: sweep, then schedule the next one while sessions remain. */
  private void onSweepTimer(Sweeper fired) {
    synchronized (sweepLock) {
      if (sweeper != fired) {
        return; // cancelled by closeAll as it fired (and possibly re-armed since)
      }
      sweeper = null;
      sweepTimer = null;
    }
    try {
      sweep();
    } catch (RuntimeException e) {
      LOG.warn("MCP session sweep failed", e);
    } finally {
      if (!sessions.isEmpty()) {
        armSweep();
      }
    }
  }

  /**
   * The sweep task. It holds the store weakly: the scheduler keeps a pending task alive, and a
   * transport dropped without {@code closeAll} must not be kept alive (and swept forever) by it.
   */
  private static final class Sweeper implements Runnable {
    private final WeakReference<SessionStore> store;

    Sweeper(SessionStore store) {
      this.store = new WeakReference<>(store);
    }

    @Override
    public void run() {
      SessionStore s = store.get();
      if (s != null) {
        s.onSweepTimer(this);
      }
    }
  }
}
