package io.servicekit.mcp;

import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import org.jspecify.annotations.Nullable;
import tools.jackson.databind.JsonNode;

/**
 * What the dispatcher knows of one client: its protocol version, info and capabilities, log level,
 * subscriptions, and the requests running for it and pending from it. A session ({@link
 * McpSession}) is one that lives across requests; a request without a session can bring its own.
 */
class ClientState {
  /** Log levels in increasing severity (RFC 5424 names, as MCP uses). */
  static final List<String> LEVELS =
      List.of("debug", "info", "notice", "warning", "error", "critical", "alert", "emergency");

  final String protocolVersion;
  final JsonNode clientCapabilities;
  final JsonNode clientInfo;
  private final AtomicLong requestIds = new AtomicLong();
  final Map<String, CompletableFuture<JsonNode>> pending = new ConcurrentHashMap<>();
  final Map<String, Thread> running = new ConcurrentHashMap<>();
  final Set<String> cancelled = ConcurrentHashMap.newKeySet();
  final Set<String> subscriptions = ConcurrentHashMap.newKeySet();
  volatile int minLevel; // index in LEVELS; 0 = everything
  volatile @Nullable String subject; // the token subject that opened the session (authorization on)
  volatile boolean shuttingDown; // running requests are being answered "server shutting down"

  ClientState(String protocolVersion, JsonNode clientCapabilities, JsonNode clientInfo) {
    this.protocolVersion = protocolVersion;
    this.clientCapabilities = clientCapabilities;
    this.clientInfo = clientInfo;
  }

  /** The session id, or null for a client without a session. */
  @Nullable String sessionId() {
    return null;
  }

  /** A fresh id for a server-to-client request. */
  String nextRequestId() {
    return "sk-" + requestIds.incrementAndGet();
  }

  /**
   * Marks the client active now (a request arrived or finished). Returns false if its session has
   * ended; a client without a session never ends.
   */
  boolean touch() {
    return true;
  }

  /** For log lines: {@code MCP session <id>} or {@code MCP client}. */
  @Override
  public String toString() {
    String id = sessionId();
    return id == null ? "MCP client" : "MCP session " + id;
  }
}
