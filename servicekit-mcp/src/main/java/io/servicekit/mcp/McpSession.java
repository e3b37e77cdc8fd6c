package io.servicekit.mcp;

import io.servicekit.Scheduler;
import io.servicekit.sse.EventStore;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import tools.jackson.databind.JsonNode;

/** The state of one MCP session: what initialize negotiated, its streams and pending work. */
final class McpSession extends ClientState {
  final String id;
  private final EventStore store;
  private final AtomicLong streamIds = new AtomicLong();
  private final Map<String, McpStream> streams = new ConcurrentHashMap<>();
  private volatile McpStream standalone;
  volatile boolean initialized;
  private final Scheduler clock;
  private long lastActiveNanos; // guarded by this
  private volatile boolean ended;

  McpSession(
      String id,
      String protocolVersion,
      JsonNode clientCapabilities,
      JsonNode clientInfo,
      EventStore store,
      Scheduler clock) {
    super(protocolVersion, clientCapabilities, clientInfo);
    this.id = id;
    this.store = store;
    this.clock = clock;
    this.lastActiveNanos = clock.nanoTime();
  }

  /** A new POST stream owing {@code responses} responses. */
  McpStream newStream(int responses) {
    McpStream s =
        new McpStream(
            id, Long.toString(streamIds.incrementAndGet()), store, responses, false, this::touch);
    streams.put(s.id, s);
    return s;
  }

  /**
   * Drops {@code s} from the session: it ended without issuing an event id (its POST was answered
   * with JSON), so no {@code Last-Event-ID} can name it. Without this a long session would keep
   * every such stream.
   */
  void forget(McpStream s) {
    streams.remove(s.id, s);
  }

  /** The standalone GET stream, created on first use. */
  synchronized McpStream standalone() {
    if (standalone == null) {
      standalone = new McpStream(id, "0", store, 0, true, this::touch);
      streams.put(standalone.id, standalone);
    }
    return standalone;
  }

  /** The standalone stream if a client ever opened one, else null. */
  McpStream standaloneIfOpened() {
    return standalone;
  }

  /** The stream that issued {@code eventId}, or null. */
  McpStream streamOf(String eventId) {
    int cut = eventId.lastIndexOf('_');
    if (cut <= 0) {
      return null;
    }
    McpStream s = streams.get(eventId.substring(0, cut));
    return s != null && s.seqOf(eventId) >= 0 ? s : null;
  }

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
