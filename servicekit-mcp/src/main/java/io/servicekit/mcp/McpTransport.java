package io.servicekit.mcp;

import io.servicekit.Scheduler;
import io.servicekit.middleware.OriginPatterns;
import io.servicekit.sse.EventStore;
import io.servicekit.sse.MemoryEventStore;
import io.servicekit.sse.SseEvent;
import io.servicekit.streamable.AcceptHeader;
import io.servicekit.streamable.JsonRpc;
import io.servicekit.streamable.JsonRpcException;
import io.servicekit.streamable.SessionIds;
import io.servicekit.streamable.SingleResponse;
import io.servicekit.streamable.StreamResponse;
import io.servicekit.streamable.StreamableHandler;
import io.servicekit.streamable.StreamableRequest;
import io.servicekit.streamable.StreamableResponse;
import java.lang.ref.WeakReference;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * The MCP Streamable HTTP server transport (protocol versions 2025-03-26, 2025-06-18 and
 * 2025-11-25; 2024-11-05 clients are served too): one endpoint for POST, GET and DELETE, a {@link
 * StreamableHandler} to mount with {@link McpServe#handler}. It serves an {@link McpServer}.
 *
 * <table>
 * <caption>Answers</caption>
 * <tr><th>case</th><th>status</th></tr>
 * <tr><td>{@code Host} not allowed, or an {@code Origin} not allowed (DNS rebinding)</td><td>403</td></tr>
 * <tr><td>method other than POST, GET, DELETE</td><td>405, {@code Allow: GET, POST, DELETE}</td></tr>
 * <tr><td>POST whose {@code Accept} lacks {@code application/json} or {@code text/event-stream}; GET without {@code text/event-stream}</td><td>406</td></tr>
 * <tr><td>POST whose {@code Content-Type} is not {@code application/json}</td><td>415</td></tr>
 * <tr><td>body not JSON / not JSON-RPC</td><td>400, error -32700 / -32600</td></tr>
 * <tr><td>a batch from a client not on 2025-03-26, or {@code initialize} in a batch</td><td>400, -32600</td></tr>
 * <tr><td>no {@code Mcp-Session-Id} (other than on {@code initialize})</td><td>400, -32000</td></tr>
 * <tr><td>unknown, ended or expired session</td><td>404, -32001</td></tr>
 * <tr><td>unsupported {@code MCP-Protocol-Version}</td><td>400, -32000</td></tr>
 * <tr><td>only notifications and/or responses</td><td>202, no body</td></tr>
 * <tr><td>requests</td><td>200 JSON, or 200 {@code text/event-stream} once the handler sends anything before its result</td></tr>
 * <tr><td>GET: standalone stream disabled / already open</td><td>405 / 409</td></tr>
 * <tr><td>GET with {@code Last-Event-ID}</td><td>that stream's later events, then live ones</td></tr>
 * <tr><td>DELETE</td><td>200; the session and its streams end</td></tr>
 * </table>
 *
 * <p>Without {@code MCP-Protocol-Version} a request is taken to be of the version {@code
 * initialize} negotiated for its session (2025-03-26 when there is none, as the spec says). Clients
 * that negotiated 2025-11-25 or later get a priming event (an id and empty data) with a {@code
 * retry} hint first on every event stream, so they can resume even before the first message.
 *
 * <p>A session expires once it has been idle for {@link Builder#sessionIdleTimeout}: no request of
 * it has arrived, none is running and no stream of it has had a connection attached for that long.
 * While any session lives, a sweep runs every {@code min(sessionIdleTimeout / 2, 60 s)} (at least
 * every 100 ms) on the {@link Builder#scheduler}, so an idle session ends at most one period late
 * whether or not new sessions start; its next request is answered 404 (-32001). The sweep timer is
 * armed only while sessions exist, is cancelled by {@link #closeAll}, and reaches the transport
 * through a weak reference, so a transport that is dropped without {@code closeAll} is not kept
 * alive by it. {@link McpServe#handler} calls {@link #closeAll} when its Jetty handler stops.
 */
public final class McpTransport implements StreamableHandler {
  private static final Logger LOG = LoggerFactory.getLogger(McpTransport.class);
  private static final ThreadFactory HANDLERS =
      Thread.ofVirtual().name("servicekit-mcp-request-", 0).factory();

  /** Protocol versions served, newest first. */
  public static final List<String> SUPPORTED_VERSIONS =
      List.of("2025-11-25", "2025-06-18", "2025-03-26", "2024-11-05");

  /** The version assumed when a request does not say (spec: 2025-03-26). */
  public static final String DEFAULT_VERSION = "2025-03-26";

  /** The session header. */
  public static final String SESSION_HEADER = "Mcp-Session-Id";

  /** The protocol version header. */
  public static final String VERSION_HEADER = "MCP-Protocol-Version";

  private final McpServer server;
  private final OriginPatterns allowedOrigins;
  private final List<String> allowedHosts; // empty = any
  private final boolean standaloneGet;
  private final EventStore store;
  private final Duration retry;
  private final Duration requestTimeout;
  private final Duration sessionIdleTimeout;
  private final Duration sweepPeriod;
  private final Scheduler scheduler;
  private final int maxSessions;
  private final McpAuth auth; // McpAuth (opt-in): null = no authorization
  private final Map<String, McpSession> sessions = new ConcurrentHashMap<>();
  private final Object sweepLock = new Object();
  private Sweeper sweeper; // the armed sweep task, guarded by sweepLock; null when not armed
  private Scheduler.Cancellable sweepTimer; // its handle, guarded by sweepLock

  private McpTransport(Builder b) {
    this.server = b.server;
    this.allowedOrigins = b.allowedOrigins;
    this.allowedHosts = List.copyOf(b.allowedHosts);
    this.standaloneGet = b.standaloneGet;
    this.store = b.store;
    this.retry = b.retry;
    this.requestTimeout = b.requestTimeout;
    this.sessionIdleTimeout = b.sessionIdleTimeout;
    this.sweepPeriod = sweepPeriod(b.sessionIdleTimeout);
    this.scheduler = b.scheduler;
    this.maxSessions = b.maxSessions;
    this.auth = b.auth; // McpAuth
  }

  /** How often idle sessions are looked for: half the timeout, between 100 ms and 60 s. */
  static Duration sweepPeriod(Duration idleTimeout) {
    Duration half = idleTimeout.dividedBy(2);
    Duration max = Duration.ofSeconds(60);
    Duration min = Duration.ofMillis(100);
    return half.compareTo(max) > 0 ? max : half.compareTo(min) < 0 ? min : half;
  }

  /** A builder serving {@code server}. */
  public static Builder builder(McpServer server) {
    return new Builder(server);
  }

  /** The number of live sessions. */
  public int sessionCount() {
    return sessions.size();
  }

  /** Whether session {@code id} lives and has a connection attached to one of its streams. */
  boolean hasAttachedStream(String id) {
    McpSession s = sessions.get(id);
    return s != null && s.hasAttachedStreams();
  }

  /**
   * Sends {@code notifications/resources/updated} for {@code uri} to every session subscribed to
   * it, on its standalone GET stream (kept there for a resumption if none is connected).
   */
  public void resourceUpdated(String uri) {
    ObjectNode params = McpJson.object().put("uri", uri);
    for (McpSession s : sessions.values()) {
      if (s.subscriptions.contains(uri)) {
        McpStream g = s.standaloneIfOpened();
        if (g != null) {
          g.emit(notification("notifications/resources/updated", params), false);
        }
      }
    }
  }

  /**
   * Ends every session (e.g. on shutdown) and stops the idle sweep. The transport stays usable: a
   * later {@code initialize} starts a session (and the sweep) again.
   */
  public void closeAll() {
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
   * Graceful end of every session, for a server shutdown ({@link McpServe#handler} registers it
   * with {@code StreamableServe.onShutdown}): running requests are interrupted and answered with
   * error -32603 {@code server shutting down} (pending server-to-client requests fail the same
   * way), every stream sends what it holds — those answers included — to its attached connection
   * and then ends, closing that connection. Streams that have not finished after {@code grace} (a
   * handler ignoring the interrupt, a client not reading) are ended at once; then {@link #closeAll}
   * runs. The stage completes when all that is done.
   */
  public CompletableFuture<Void> shutdown(Duration grace) {
    Objects.requireNonNull(grace, "grace");
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

  @Override
  public StreamableResponse handle(StreamableRequest request) throws Exception {
    Optional<SingleResponse> refused = checkHostAndOrigin(request);
    if (refused.isPresent()) {
      return refused.get();
    }
    McpAuth.AccessToken token = null; // McpAuth: the request's validated token
    if (auth != null) {
      switch (auth.authenticate(request)) {
        case McpAuth.Refused r -> {
          return r.response();
        }
        case McpAuth.Granted g -> token = g.token();
      }
    }
    return switch (request.method().toUpperCase(Locale.ROOT)) {
      case "POST" -> post(request, token);
      case "GET" -> get(request);
      case "DELETE" -> delete(request);
      default ->
          error(
                  405,
                  McpError.SERVER_ERROR,
                  "Method Not Allowed: " + request.method() + " (use GET, POST or DELETE)")
              .withHeader("Allow", "GET, POST, DELETE");
    };
  }

  // ---- checks ----

  private Optional<SingleResponse> checkHostAndOrigin(StreamableRequest request) {
    Optional<String> origin = request.origin().filter(o -> !o.isBlank());
    if (origin.isPresent() && !allowedOrigins.matches(origin.get())) {
      return Optional.of(
          error(403, McpError.SERVER_ERROR, "Forbidden: Origin not allowed: " + origin.get()));
    }
    if (!allowedHosts.isEmpty()) {
      String host = hostName(request.host());
      if (!allowedHosts.contains(host)) {
        return Optional.of(
            error(403, McpError.SERVER_ERROR, "Forbidden: Host not allowed: " + request.host()));
      }
    }
    return Optional.empty();
  }

  /** The host name of a {@code Host} header value, lower case, IPv6 in brackets, no port. */
  static String hostName(String hostHeader) {
    String h = hostHeader == null ? "" : hostHeader.trim().toLowerCase(Locale.ROOT);
    if (h.startsWith("[")) {
      int end = h.indexOf(']');
      return end > 0 ? h.substring(0, end + 1) : h;
    }
    int colon = h.indexOf(':');
    return colon >= 0 && colon == h.lastIndexOf(':') ? h.substring(0, colon) : h;
  }

  private SessionOrError session(StreamableRequest request) {
    Optional<String> id = request.header(SESSION_HEADER).filter(s -> !s.isBlank());
    if (id.isEmpty()) {
      return new SessionOrError(
          null,
          error(400, McpError.SERVER_ERROR, "Bad Request: Mcp-Session-Id header is required"));
    }
    McpSession s = sessions.get(id.get().trim());
    if (s == null || s.isEnded()) {
      return new SessionOrError(null, sessionNotFound(id.get()));
    }
    if (!s.touch()) { // expired between the lookup and now
      return new SessionOrError(null, sessionNotFound(id.get()));
    }
    return new SessionOrError(s, null);
  }

  private static SingleResponse sessionNotFound(String id) {
    return error(
        404,
        McpError.SESSION_NOT_FOUND,
        "Session not found: " + abbreviate(id) + " (unknown, ended or expired; initialize again)");
  }

  private record SessionOrError(McpSession session, SingleResponse error) {}

  /** The request's protocol version, or an error response for an unsupported one. */
  private Object version(StreamableRequest request, McpSession session) {
    Optional<String> header = request.header(VERSION_HEADER).map(String::trim);
    if (header.isPresent()) {
      if (!SUPPORTED_VERSIONS.contains(header.get())) {
        return error(
            400,
            McpError.SERVER_ERROR,
            "Bad Request: Unsupported protocol version "
                + abbreviate(header.get())
                + " (supported: "
                + String.join(", ", SUPPORTED_VERSIONS)
                + ")");
      }
      return header.get();
    }
    return session != null ? session.protocolVersion : DEFAULT_VERSION;
  }

  // ---- POST ----

  private StreamableResponse post(StreamableRequest request, McpAuth.AccessToken token)
      throws Exception {
    AcceptHeader accept = request.accept();
    if (!accept.acceptsJsonAndEventStream()) {
      return error(
          406,
          McpError.SERVER_ERROR,
          "Not Acceptable: Client must accept both application/json and text/event-stream"
              + " (Accept: "
              + request.header("Accept").orElse("absent")
              + ")");
    }
    String contentType = request.header("Content-Type").orElse("");
    String mediaType = contentType.split(";")[0].trim().toLowerCase(Locale.ROOT);
    if (!mediaType.equals("application/json")) {
      return error(
          415,
          McpError.SERVER_ERROR,
          "Unsupported Media Type: Content-Type must be application/json, got "
              + (contentType.isEmpty() ? "none" : abbreviate(contentType)));
    }
    byte[] body = request.body();
    boolean batch = JsonRpc.isBatch(body);
    List<JsonNode> messages = new ArrayList<>();
    List<JsonRpc.Kind> kinds = new ArrayList<>();
    try {
      if (batch) {
        messages.addAll(JsonRpc.splitBatch(body));
      } else {
        messages.add(JsonRpc.parse(body));
      }
      for (JsonNode m : messages) {
        kinds.add(JsonRpc.classify(m));
      }
    } catch (JsonRpcException e) {
      return error(
          400,
          e.code(),
          (e.code() == McpError.PARSE_ERROR ? "Parse error: " : "Invalid Request: ")
              + e.getMessage());
    }
    if (auth != null) { // McpAuth: the scopes of every request of this POST
      Optional<SingleResponse> forbidden = auth.authorize(token, messages);
      if (forbidden.isPresent()) {
        return forbidden.get();
      }
    }
    boolean hasInitialize = false;
    for (int i = 0; i < messages.size(); i++) {
      if (kinds.get(i) == JsonRpc.Kind.REQUEST
          && "initialize".equals(messages.get(i).path("method").asString())) {
        hasInitialize = true;
      }
    }
    if (hasInitialize) {
      if (batch) {
        return error(
            400,
            McpError.INVALID_REQUEST,
            "Invalid Request: initialize must not be part of a JSON-RPC batch");
      }
      return initialize(request, messages.get(0));
    }
    SessionOrError se = session(request);
    if (se.error() != null) {
      return se.error();
    }
    McpSession session = se.session();
    Object v = version(request, session);
    if (v instanceof SingleResponse r) {
      return r;
    }
    String version = (String) v;
    if (batch && !version.equals("2025-03-26")) {
      return error(
          400,
          McpError.INVALID_REQUEST,
          "Invalid Request: JSON-RPC batches are only accepted from 2025-03-26 clients; this"
              + " request is protocol version "
              + version
              + " (send one message per POST)");
    }
    List<JsonNode> requests = new ArrayList<>();
    for (int i = 0; i < messages.size(); i++) {
      JsonNode m = messages.get(i);
      switch (kinds.get(i)) {
        case REQUEST -> requests.add(m);
        case NOTIFICATION -> onNotification(session, m);
        case RESPONSE -> onResponse(session, m);
      }
    }
    if (requests.isEmpty()) {
      return SingleResponse.empty(202);
    }
    McpStream stream = session.newStream(requests.size());
    for (JsonNode r : requests) {
      HANDLERS.newThread(() -> run(session, stream, r, token)).start();
    }
    List<JsonNode> json = stream.awaitDecision();
    if (json != null) {
      // Answered as JSON: the stream issued no event id, so nothing can resume it.
      session.forget(stream);
    }
    if (json != null && json.isEmpty()) {
      return SingleResponse.empty(202).withHeader(SESSION_HEADER, session.id); // all cancelled
    }
    if (json != null) {
      String out;
      if (batch) {
        ArrayNode array = McpJson.array();
        json.forEach(array::add);
        out = array.toString();
      } else {
        out = json.get(0).toString();
      }
      return SingleResponse.json(200, out).withHeader(SESSION_HEADER, session.id);
    }
    SseEvent priming = priming(session, stream, 0);
    return StreamResponse.of(sink -> stream.pump(sink, 0, priming, retryFor(session)))
        .withHeader(SESSION_HEADER, session.id);
  }

  /** The priming event (resuming from it replays what follows {@code after}), or null. */
  private SseEvent priming(McpSession session, McpStream stream, long after) {
    if (!primes(session)) {
      return null;
    }
    return SseEvent.of(null, stream.eventId(after), retry.toMillis(), "");
  }

  private boolean primes(McpSession session) {
    return session.protocolVersion.compareTo("2025-11-25") >= 0;
  }

  private Duration retryFor(McpSession session) {
    return primes(session) ? retry : null;
  }

  private StreamableResponse initialize(StreamableRequest request, JsonNode message) {
    Optional<String> existing = request.header(SESSION_HEADER).filter(s -> !s.isBlank());
    if (existing.isPresent() && sessions.containsKey(existing.get().trim())) {
      return error(
          400,
          McpError.INVALID_REQUEST,
          "Invalid Request: Server already initialized (session "
              + abbreviate(existing.get())
              + "); initialize without Mcp-Session-Id to start a new session");
    }
    JsonNode params = message.path("params");
    JsonNode requested = params.path("protocolVersion");
    if (!requested.isString()) {
      return SingleResponse.json(
          200,
          errorResponse(
                  message.get("id"),
                  McpError.INVALID_PARAMS,
                  "initialize needs params.protocolVersion (a string)",
                  null)
              .toString());
    }
    String version =
        SUPPORTED_VERSIONS.contains(requested.asString())
            ? requested.asString()
            : SUPPORTED_VERSIONS.get(0);
    JsonNode caps = params.path("capabilities");
    JsonNode info = params.path("clientInfo");
    if (sessions.size() >= maxSessions) {
      sweep(); // make room if some are overdue (the timer may not have run yet)
    }
    if (sessions.size() >= maxSessions) {
      return error(
          503,
          McpError.SERVER_ERROR,
          "Service Unavailable: too many MCP sessions (" + maxSessions + "); try again later");
    }
    String id = SessionIds.generate();
    McpSession session =
        new McpSession(
            id,
            version,
            caps.isObject() ? caps : McpJson.object(),
            info.isObject() ? info : McpJson.object(),
            store,
            scheduler);
    sessions.put(id, session);
    armSweep();
    ObjectNode response = McpJson.object().put("jsonrpc", "2.0");
    response.set("id", message.get("id"));
    response.set("result", server.initializeResult(version));
    LOG.debug("MCP session {} initialized, protocol {}", id, version);
    return SingleResponse.json(200, response.toString()).withHeader(SESSION_HEADER, id);
  }

  /** Ends sessions idle for the timeout: no request, no running request, no attached stream. */
  private void sweep() {
    long limit = sessionIdleTimeout.toNanos();
    for (McpSession s : sessions.values()) {
      if (s.expireIfIdle(limit)) {
        sessions.remove(s.id, s);
        s.end("session expired");
        LOG.debug("MCP session {} expired after {} idle", s.id, sessionIdleTimeout);
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
   * The sweep task. It holds the transport weakly: the scheduler keeps a pending task alive, and a
   * transport dropped without {@link #closeAll} must not be kept alive (and swept forever) by it.
   */
  private static final class Sweeper implements Runnable {
    private final WeakReference<McpTransport> transport;

    Sweeper(McpTransport transport) {
      this.transport = new WeakReference<>(transport);
    }

    @Override
    public void run() {
      McpTransport t = transport.get();
      if (t != null) {
        t.onSweepTimer(this);
      }
    }
  }

  private void onNotification(McpSession session, JsonNode m) {
    String method = m.path("method").asString();
    switch (method) {
      case "notifications/initialized" -> session.initialized = true;
      case "notifications/cancelled" -> {
        String key = m.path("params").path("requestId").toString();
        Thread t = session.running.get(key);
        if (t != null) {
          session.cancelled.add(key);
          t.interrupt();
        }
      }
      default -> LOG.debug("MCP session {}: notification {} ignored", session.id, method);
    }
  }

  private void onResponse(McpSession session, JsonNode m) {
    JsonNode id = m.get("id");
    CompletableFuture<JsonNode> f =
        session.pending.remove(id.isString() ? id.asString() : id.toString());
    if (f == null) {
      LOG.debug("MCP session {}: response to unknown request {}", session.id, id);
      return;
    }
    if (m.has("error")) {
      JsonNode e = m.get("error");
      f.completeExceptionally(
          new McpError(
              e.path("code").asInt(McpError.INTERNAL_ERROR),
              e.path("message").asString("error from the client"),
              e.get("data")));
    } else {
      f.complete(m.get("result"));
    }
  }

  private void run(
      McpSession session, McpStream stream, JsonNode request, McpAuth.AccessToken token) {
    JsonNode id = request.get("id");
    String key = id.toString();
    session.running.put(key, Thread.currentThread());
    JsonNode response;
    try {
      String method = request.path("method").asString();
      JsonNode params = request.path("params");
      Context ctx = new Context(session, stream, params, token);
      JsonNode result = builtIn(session, method, params);
      if (result == null) {
        result = server.dispatch(ctx, method, params.isMissingNode() ? null : params);
      }
      ObjectNode ok = McpJson.object().put("jsonrpc", "2.0");
      ok.set("id", id);
      ok.set("result", result);
      response = ok;
    } catch (McpError e) {
      response = errorResponse(id, e.code(), e.getMessage(), e.data());
    } catch (InterruptedException e) {
      String why = session.shuttingDown ? "server shutting down" : "request cancelled";
      response = errorResponse(id, McpError.INTERNAL_ERROR, why, null);
    } catch (Exception e) {
      LOG.warn("MCP session {}: handler of {} failed", session.id, request.path("method"), e);
      response =
          errorResponse(id, McpError.INTERNAL_ERROR, "Internal error: " + e.getMessage(), null);
    } finally {
      session.touch(); // idle time counts from the end of the request
      session.running.remove(key);
      Thread.interrupted(); // clear a late cancellation
    }
    if (session.cancelled.remove(key)) {
      stream.skipResponse(); // cancelled: the spec says not to answer
    } else {
      stream.emit(response, true);
    }
  }

  /** Methods the transport answers itself (session state), or null to dispatch to the server. */
  private JsonNode builtIn(McpSession session, String method, JsonNode params) {
    switch (method) {
      case "ping" -> {
        return McpJson.object();
      }
      case "logging/setLevel" -> {
        String level = params.path("level").asString("");
        int index = McpSession.LEVELS.indexOf(level);
        if (index < 0) {
          throw new McpError(
              McpError.INVALID_PARAMS,
              "logging/setLevel: unknown level '" + level + "' (one of " + McpSession.LEVELS + ")");
        }
        session.minLevel = index;
        return McpJson.object();
      }
      case "resources/subscribe", "resources/unsubscribe" -> {
        JsonNode uri = params.path("uri");
        if (!uri.isString()) {
          throw new McpError(McpError.INVALID_PARAMS, method + " needs params.uri (a string)");
        }
        if (method.endsWith("unsubscribe")) {
          session.subscriptions.remove(uri.asString());
        } else {
          session.subscriptions.add(uri.asString());
        }
        return McpJson.object();
      }
      default -> {
        return null;
      }
    }
  }

  // ---- GET ----

  private StreamableResponse get(StreamableRequest request) {
    if (!request.accept().acceptsEventStream()) {
      return error(
          406,
          McpError.SERVER_ERROR,
          "Not Acceptable: Client must accept text/event-stream (Accept: "
              + request.header("Accept").orElse("absent")
              + ")");
    }
    SessionOrError se = session(request);
    if (se.error() != null) {
      return se.error();
    }
    McpSession session = se.session();
    Object v = version(request, session);
    if (v instanceof SingleResponse r) {
      return r;
    }
    Optional<String> lastEventId = request.header("Last-Event-ID").filter(s -> !s.isBlank());
    if (lastEventId.isPresent()) {
      McpStream stream = session.streamOf(lastEventId.get().trim());
      if (stream == null) {
        return error(
            400,
            McpError.SERVER_ERROR,
            "Bad Request: Last-Event-ID "
                + abbreviate(lastEventId.get())
                + " was not issued on a stream of this session");
      }
      long after = stream.seqOf(lastEventId.get().trim());
      return StreamResponse.of(sink -> stream.pump(sink, after, null, retryFor(session)))
          .withHeader(SESSION_HEADER, session.id);
    }
    if (!standaloneGet) {
      return error(
              405,
              McpError.SERVER_ERROR,
              "Method Not Allowed: this server offers no standalone GET stream")
          .withHeader("Allow", "POST, DELETE");
    }
    McpStream stream = session.standalone();
    if (!stream.tryReserve()) {
      return error(
          409,
          McpError.SERVER_ERROR,
          "Conflict: Only one standalone SSE stream is allowed per session");
    }
    long after = stream.delivered();
    SseEvent priming = priming(session, stream, after);
    return StreamResponse.of(sink -> stream.pump(sink, after, priming, retryFor(session)))
        .withHeader(SESSION_HEADER, session.id);
  }

  // ---- DELETE ----

  private StreamableResponse delete(StreamableRequest request) {
    SessionOrError se = session(request);
    if (se.error() != null) {
      return se.error();
    }
    Object v = version(request, se.session());
    if (v instanceof SingleResponse r) {
      return r;
    }
    McpSession session = se.session();
    sessions.remove(session.id);
    session.end("session deleted by the client");
    LOG.debug("MCP session {} deleted", session.id);
    return SingleResponse.empty(200);
  }

  // ---- messages ----

  static ObjectNode notification(String method, JsonNode params) {
    ObjectNode n = McpJson.object().put("jsonrpc", "2.0").put("method", method);
    if (params != null) {
      n.set("params", params);
    }
    return n;
  }

  static ObjectNode errorResponse(JsonNode id, int code, String message, JsonNode data) {
    ObjectNode out = McpJson.object().put("jsonrpc", "2.0");
    out.set("id", id == null ? McpJson.MAPPER.nullNode() : id);
    ObjectNode e = out.putObject("error").put("code", code).put("message", message);
    if (data != null) {
      e.set("data", data);
    }
    return out;
  }

  private static SingleResponse error(int status, int code, String message) {
    return SingleResponse.json(status, errorResponse(null, code, message, null).toString());
  }

  private static String abbreviate(String s) {
    return s.length() > 80 ? s.substring(0, 80) + "..." : s;
  }

  /** The context of one request. */
  private final class Context implements McpContext {
    private final McpSession session;
    private final McpStream stream;
    private final JsonNode progressToken;
    private final McpAuth.AccessToken accessToken; // McpAuth: null without authorization

    Context(McpSession session, McpStream stream, JsonNode params, McpAuth.AccessToken access) {
      this.session = session;
      this.stream = stream;
      this.accessToken = access;
      JsonNode token = params.path("_meta").path("progressToken");
      this.progressToken = token.isString() || token.isNumber() ? token : null;
    }

    @Override
    public String sessionId() {
      return session.id;
    }

    @Override
    public String protocolVersion() {
      return session.protocolVersion;
    }

    @Override
    public Optional<McpAuth.AccessToken> accessToken() { // McpAuth
      return Optional.ofNullable(accessToken);
    }

    @Override
    public JsonNode clientCapabilities() {
      return session.clientCapabilities;
    }

    @Override
    public JsonNode clientInfo() {
      return session.clientInfo;
    }

    @Override
    public Optional<JsonNode> progressToken() {
      return Optional.ofNullable(progressToken);
    }

    @Override
    public void progress(double progress, Double total, String message) {
      if (progressToken == null) {
        return;
      }
      ObjectNode p = McpJson.object();
      p.set("progressToken", progressToken);
      p.put("progress", progress);
      if (total != null) {
        p.put("total", total);
      }
      if (message != null) {
        p.put("message", message);
      }
      stream.emit(notification("notifications/progress", p), false);
    }

    @Override
    public void log(String level, String logger, JsonNode data) {
      int index = McpSession.LEVELS.indexOf(level);
      if (index < 0) {
        throw new IllegalArgumentException(
            "unknown MCP log level '" + level + "' (one of " + McpSession.LEVELS + ")");
      }
      if (index < session.minLevel) {
        return;
      }
      ObjectNode p = McpJson.object().put("level", level);
      if (logger != null) {
        p.put("logger", logger);
      }
      p.set("data", data);
      stream.emit(notification("notifications/message", p), false);
    }

    @Override
    public void log(String level, String logger, String message) {
      log(level, logger, McpJson.MAPPER.getNodeFactory().stringNode(message));
    }

    @Override
    public void notify(String method, JsonNode params) {
      Objects.requireNonNull(method, "method");
      stream.emit(notification(method, params), false);
    }

    @Override
    public JsonNode request(String method, JsonNode params) throws InterruptedException {
      return request(method, params, requestTimeout);
    }

    @Override
    public JsonNode request(String method, JsonNode params, Duration timeout)
        throws InterruptedException {
      String id = session.nextRequestId();
      CompletableFuture<JsonNode> answer = new CompletableFuture<>();
      session.pending.put(id, answer);
      ObjectNode r = McpJson.object().put("jsonrpc", "2.0").put("id", id).put("method", method);
      if (params != null) {
        r.set("params", params);
      }
      if (!stream.emit(r, false)) {
        session.pending.remove(id);
        throw new McpError(McpError.INTERNAL_ERROR, "the request's stream has ended");
      }
      try {
        return answer.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
      } catch (ExecutionException e) {
        if (e.getCause() instanceof McpError m) {
          throw m;
        }
        throw new McpError(McpError.INTERNAL_ERROR, String.valueOf(e.getCause()));
      } catch (TimeoutException e) {
        throw new McpError(
            McpError.INTERNAL_ERROR, "the client did not answer " + method + " within " + timeout);
      } finally {
        session.pending.remove(id);
      }
    }

    @Override
    public void closeStream() {
      stream.requestDisconnect();
    }
  }

  /** Builds a {@link McpTransport}. */
  public static final class Builder {
    private final McpServer server;
    private OriginPatterns allowedOrigins = OriginPatterns.localhost();
    private List<String> allowedHosts = List.of("localhost", "127.0.0.1", "[::1]");
    private boolean standaloneGet = true;
    private EventStore store = new MemoryEventStore();
    private Duration retry = Duration.ofSeconds(1);
    private Duration requestTimeout = Duration.ofSeconds(60);
    private Duration sessionIdleTimeout = Duration.ofMinutes(30);
    private int maxSessions = 10_000;
    private Scheduler scheduler = Scheduler.system();
    private McpAuth auth; // McpAuth

    private Builder(McpServer server) {
      this.server = Objects.requireNonNull(server, "server");
    }

    /**
     * Browser origins allowed (an {@code Origin} header outside them is answered 403); default
     * {@link OriginPatterns#localhost()}.
     */
    public Builder allowedOrigins(OriginPatterns origins) {
      this.allowedOrigins = Objects.requireNonNull(origins, "origins");
      return this;
    }

    /**
     * Host names (no port; IPv6 in brackets) the {@code Host} header may name, else 403 (DNS
     * rebinding protection); default {@code localhost}, {@code 127.0.0.1}, {@code [::1]}. An empty
     * list allows any host (for a server behind a proxy that checks it).
     */
    public Builder allowedHosts(List<String> hosts) {
      this.allowedHosts = hosts.stream().map(h -> h.trim().toLowerCase(Locale.ROOT)).toList();
      return this;
    }

    /** Whether clients may open the standalone GET stream (default true; else GET → 405). */
    public Builder standaloneGet(boolean enabled) {
      this.standaloneGet = enabled;
      return this;
    }

    /** Where events are kept for resumption (default a {@link MemoryEventStore}). */
    public Builder eventStore(EventStore store) {
      this.store = Objects.requireNonNull(store, "store");
      return this;
    }

    /** The {@code retry} hint for 2025-11-25 clients (default 1 s). */
    public Builder retry(Duration retry) {
      if (retry.toMillis() < 1) {
        throw new IllegalArgumentException("retry must be at least 1 ms: " + retry);
      }
      this.retry = retry;
      return this;
    }

    /** How long {@link McpContext#request} waits for the client by default (60 s). */
    public Builder requestTimeout(Duration timeout) {
      if (timeout.isNegative() || timeout.isZero()) {
        throw new IllegalArgumentException("requestTimeout must be positive: " + timeout);
      }
      this.requestTimeout = timeout;
      return this;
    }

    /**
     * After how long without activity a session ends (default 30 min): no request of it arrived,
     * none ran and none of its streams had a connection attached for that long. Checked by a
     * periodic sweep every {@code min(timeout / 2, 60 s)} (at least 100 ms apart), so a session
     * ends at most one period after its deadline.
     */
    public Builder sessionIdleTimeout(Duration timeout) {
      if (timeout.isNegative() || timeout.isZero()) {
        throw new IllegalArgumentException("sessionIdleTimeout must be positive: " + timeout);
      }
      this.sessionIdleTimeout = timeout;
      return this;
    }

    /** Most live sessions; {@code initialize} beyond is answered 503 (default 10 000). */
    public Builder maxSessions(int max) {
      if (max <= 0) {
        throw new IllegalArgumentException("maxSessions must be positive: " + max);
      }
      this.maxSessions = max;
      return this;
    }

    /**
     * The clock and timer for session expiry (default {@link Scheduler#system()}; tests pass the
     * test kit's {@code FakeScheduler}).
     */
    public Builder scheduler(Scheduler scheduler) {
      this.scheduler = Objects.requireNonNull(scheduler, "scheduler");
      return this;
    }

    /**
     * Authorization as an OAuth resource server (default none): every request needs a valid bearer
     * token for {@link McpAuth#resource()} with the scopes its operations need; see {@link
     * McpAuth}.
     */
    public Builder auth(McpAuth auth) {
      this.auth = Objects.requireNonNull(auth, "auth");
      return this;
    }

    /** The transport. */
    public McpTransport build() {
      return new McpTransport(this);
    }
  }
}
