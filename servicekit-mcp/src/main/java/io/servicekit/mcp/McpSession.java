package io.servicekit.mcp;

import io.servicekit.Scheduler;
import io.servicekit.sse.EventStore;
import java.lang.ref.WeakReference;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import org.jspecify.annotations.Nullable;
import tools.jackson.databind.JsonNode;

/** The state of one MCP session: what initialize negotiated, its streams and pending work. */
final class McpSession extends ClientState {
  /** How long an event stream is kept after its last event was written to a connection. */
  static final Duration DELIVERED_LINGER = Duration.ofSeconds(30);

  final String id;
  private final EventStore store;
  private final AtomicLong streamIds = new AtomicLong();
  private final Map<String, McpStream> streams = new ConcurrentHashMap<>();
  private volatile @Nullable McpStream standalone;
  volatile boolean initialized;
  private final Limits limits;
  private final Scheduler clock;
  private long lastActiveNanos; // guarded by this
  private volatile boolean ended;

  McpSession(
      String id,
      String protocolVersion,
      JsonNode clientCapabilities,
      JsonNode clientInfo,
      EventStore store,
      Limits limits,
      Scheduler clock) {
    super(protocolVersion, clientCapabilities, clientInfo);
    this.id = id;
    this.store = store;
    this.limits = limits;
    this.clock = clock;
    this.lastActiveNanos = clock.nanoTime();
  }

  /**
   * A new POST stream owing {@code responses} responses, or null when the session holds {@link
   * Limits#maxStreamsPerSession} streams that are all still running (ended streams kept only for a
   * resumption make room, oldest first).
   */
  synchronized @Nullable McpStream newStream(int responses) {
    if (!makeRoom()) {
      return null;
    }
    McpStream s =
        new McpStream(
            id,
            Long.toString(streamIds.incrementAndGet()),
            store,
            responses,
            false,
            limits,
            this::touch,
            this::delivered);
    streams.put(s.id, s);
    return s;
  }

  /**
   * Whether there is room for one more stream, after dropping an ended stream with no connection if
   * needed: a delivered one first, else the oldest.
   */
  private boolean makeRoom() {
    if (streams.size() < limits.maxStreamsPerSession()) {
      return true;
    }
    McpStream drop = null;
    for (McpStream s : streams.values()) {
      if (s.standalone || !s.isEnded() || s.isAttached()) {
        continue;
      }
      if (drop == null
          || (s.isDelivered() && !drop.isDelivered())
          || (s.isDelivered() == drop.isDelivered()
              && Long.parseLong(s.id) < Long.parseLong(drop.id))) {
        drop = s;
      }
    }
    if (drop == null) {
      return false;
    }
    forget(drop);
    return streams.size() < limits.maxStreamsPerSession();
  }

  /**
   * {@code s} has ended and its last event has been written to a connection. It is dropped {@link
   * #DELIVERED_LINGER} later (or sooner, to make room): a write into a connection the client has
   * just dropped still succeeds, and that client's resumption must find the events.
   */
  private void delivered(McpStream s) {
    if (ended) {
      forget(s);
      return;
    }
    WeakReference<McpSession> me = new WeakReference<>(this); // the timer must not keep us alive
    String streamId = s.id;
    clock.schedule(
        () -> {
          McpSession session = me.get();
          if (session != null) {
            session.dropDelivered(streamId);
          }
        },
        DELIVERED_LINGER);
  }

  private void dropDelivered(String streamId) {
    McpStream s = streams.get(streamId);
    if (s != null && s.isEnded() && !s.isAttached()) { // attached: resumed, delivered again later
      forget(s);
    }
  }

  /** The streams the session holds now (running, or ended and kept for a resumption). */
  int streamCount() {
    return streams.size();
  }

  /**
   * Drops {@code s} and its stored events: it is finished (answered as JSON, or its last event was
   * written to a connection) or made room for a new one. A {@code Last-Event-ID} of it is then
   * answered "no longer stored".
   */
  void forget(McpStream s) {
    if (streams.remove(s.id, s)) {
      store.trim(s.storeKey);
    }
  }

  /** The standalone GET stream, created on first use. */
  synchronized McpStream standalone() {
    if (standalone == null) {
      standalone = new McpStream(id, "0", store, 0, true, limits, this::touch, s -> {});
      streams.put(standalone.id, standalone);
    }
    return standalone;
  }

  /** The standalone stream if a client ever opened one, else null. */
  @Nullable McpStream standaloneIfOpened() {
    return standalone;
  }

  /** What a {@code Last-Event-ID} names: a stream held, one issued but dropped, or neither. */
  Resumption resumption(String eventId) {
    int cut = eventId.lastIndexOf('_');
    if (cut <= 0) {
      return new Resumption(null, false);
    }
    String streamId = eventId.substring(0, cut);
    McpStream s = streams.get(streamId);
    if (s != null) {
      return s.seqOf(eventId) >= 0 ? new Resumption(s, true) : new Resumption(null, false);
    }
    long n;
    try {
      n = Long.parseLong(streamId);
      Long.parseLong(eventId.substring(cut + 1));
    } catch (NumberFormatException e) {
      return new Resumption(null, false);
    }
    boolean issued = (n >= 1 && n <= streamIds.get()) || (n == 0 && standalone != null);
    return new Resumption(null, issued);
  }

  /**
   * @param stream the stream held, or null
   * @param issued whether the id is of a stream of this session (held or dropped)
   */
  record Resumption(@Nullable McpStream stream, boolean issued) {}

  @Override
  String sessionId() {
    return id;
  }

  /**
   * Marks the session active now (a request arrived, a request finished, a stream was detached):
   * its idle time counts from here. Returns false if the session has already ended.
   */
  @Override
  synchronized boolean touch() {
    lastActiveNanos = clock.nanoTime();
    return !ended;
  }

  /**
   * Marks the session ended if it has been idle at least {@code limitNanos} (no request since, no
   * stream attached, no request running); the caller then removes and {@link #end}s it. Atomic with
   * {@link #touch}, so a request that found the session is never answered by an expired one.
   */
  synchronized boolean expireIfIdle(long limitNanos) {
    if (ended
        || clock.nanoTime() - lastActiveNanos < limitNanos
        || !running.isEmpty()
        || hasAttachedStreams()) {
      return false;
    }
    ended = true;
    return true;
  }

  boolean isEnded() {
    return ended;
  }

  /** Whether any stream has a connection attached. */
  boolean hasAttachedStreams() {
    return streams.values().stream().anyMatch(McpStream::isAttached);
  }

  /** Its streams now (a snapshot). */
  List<McpStream> streams() {
    return List.copyOf(streams.values());
  }

  /**
   * The server is stopping gracefully: running handlers are interrupted (each then answers "server
   * shutting down"), pending server-to-client requests fail, and every stream ends once it owes
   * nothing more, after sending what it holds.
   */
  void beginShutdown(String why) {
    shuttingDown = true;
    running.values().forEach(Thread::interrupt);
    pending
        .values()
        .forEach(f -> f.completeExceptionally(new McpError(McpError.INTERNAL_ERROR, why)));
    pending.clear();
    streams.values().forEach(McpStream::endWhenAnswered);
  }

  /** Ends the session: streams close, running handlers are interrupted, pending requests fail. */
  void end(String why) {
    ended = true;
    streams.values().forEach(McpStream::end);
    running.values().forEach(Thread::interrupt);
    pending
        .values()
        .forEach(f -> f.completeExceptionally(new McpError(McpError.INTERNAL_ERROR, why)));
    pending.clear();
    for (McpStream s : streams.values()) {
      store.trim(s.storeKey);
    }
  }
}
