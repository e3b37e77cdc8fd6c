package io.servicekit.mcp;

import io.servicekit.streamable.SingleResponse;
import io.servicekit.streamable.StreamResponse;
import io.servicekit.streamable.StreamableRequest;
import io.servicekit.streamable.StreamableResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicInteger;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * The stateless revision (2026-07-28) of MCP's Streamable HTTP transport: every POST carries its
 * protocol version, client capabilities and client info in {@code params._meta}, there is no {@code
 * initialize} and no session, and each request is answered on its own (JSON, or an event stream of
 * its notifications followed by its response; closing that stream cancels the request).
 *
 * <p>Checks, in order, each answered with a JSON-RPC error that echoes the request's id: one
 * message per POST (-32600, 400); {@code _meta} with {@code protocolVersion} and {@code
 * clientCapabilities} (-32602, 400); {@code MCP-Protocol-Version} present and equal to the body's
 * (-32020, 400); a version offered here (-32022, 400, {@code data.supported} and {@code
 * data.requested}); {@code Mcp-Method}, {@code Mcp-Name}, {@code Mcp-Param-*} (-32020, 400); a
 * known method the server has a capability for (-32601, 404).
 */
final class StatelessPath {
  private static final Logger LOG = LoggerFactory.getLogger(StatelessPath.class);
  private static final ThreadFactory HANDLERS =
      Thread.ofVirtual().name("servicekit-mcp-stateless-", 0).factory();

  static final String META_VERSION = "io.modelcontextprotocol/protocolVersion";
  static final String META_CAPABILITIES = "io.modelcontextprotocol/clientCapabilities";
  static final String META_CLIENT_INFO = "io.modelcontextprotocol/clientInfo";
  static final String META_LOG_LEVEL = "io.modelcontextprotocol/logLevel";
  static final String META_SERVER_INFO = "io.modelcontextprotocol/serverInfo";
  static final String META_SUBSCRIPTION = "io.modelcontextprotocol/subscriptionId";

  private static final byte[] META_VERSION_BYTES = META_VERSION.getBytes(StandardCharsets.UTF_8);

  /** Methods of 2025-11-25 that 2026-07-28 removed: answered -32601 / 404 on this path. */
  static final Set<String> REMOVED =
      Set.of(
          "initialize", "ping", "logging/setLevel", "resources/subscribe", "resources/unsubscribe");

  /** Results that carry cache hints ({@code ttlMs}, {@code cacheScope}). */
  private static final Set<String> CACHEABLE =
      Set.of(
          "server/discover",
          "tools/list",
          "prompts/list",
          "resources/list",
          "resources/templates/list",
          "resources/read");

  /** Methods on which a handler may ask for input ({@code input_required} results). */
  static final Set<String> INPUT_METHODS = Set.of("tools/call", "prompts/get", "resources/read");

  private final McpServer server;
  private final List<String> versions;
  private final RequestStates states;
  private final Listens listens;
  private final @Nullable McpAuth auth; // null: no authorization
  private final Duration jsonWait;
  private final Duration listTtl;
  private final int maxInFlight;
  private final Set<StatelessExchange> running = ConcurrentHashMap.newKeySet();
  private final AtomicInteger inFlight = new AtomicInteger();
  private volatile boolean shuttingDown;

  StatelessPath(
      McpServer server,
      List<String> versions,
      RequestStates states,
      Listens listens,
      @Nullable McpAuth auth,
      Duration jsonWait,
      Duration listTtl,
      int maxInFlight) {
    this.server = server;
    this.versions = List.copyOf(versions);
    this.states = states;
    this.listens = listens;
    this.auth = auth;
    this.jsonWait = jsonWait;
    this.listTtl = listTtl;
    this.maxInFlight = maxInFlight;
  }

  /**
   * The answer to a POST if it takes this path — its {@code MCP-Protocol-Version} header names a
   * stateless revision, or its body carries {@code
   * params._meta["io.modelcontextprotocol/protocolVersion"]} (in a batch: in any element) — or
   * empty for the session path, which answers everything else. The body is parsed once.
   */
  Optional<StreamableResponse> post(StreamableRequest request, McpAuth.@Nullable AccessToken token)
      throws InterruptedException {
    Optional<String> header = request.header(McpEndpoint.VERSION_HEADER).map(String::trim);
    if (header.isPresent() && versions.contains(header.get())) {
      return Optional.of(answer(request, token, null));
    }
    byte[] body = request.body();
    if (!contains(body, META_VERSION_BYTES)) {
      return Optional.empty(); // cheap test first: most session-path bodies never mention the key
    }
    try {
      if (JsonRpc.isBatch(body)) {
        for (JsonNode m : JsonRpc.splitBatch(body)) {
          if (hasMetaVersion(m)) {
            return Optional.of(answer(request, token, null)); // refused: one message per POST
          }
        }
        return Optional.empty();
      }
      JsonNode message = JsonRpc.parse(body);
      return hasMetaVersion(message)
          ? Optional.of(answer(request, token, message))
          : Optional.empty();
    } catch (JsonRpcException e) {
      return Optional.empty(); // the session path reports the parse error as it always has
    }
  }

  private static boolean hasMetaVersion(JsonNode m) {
    return m.path("params").path("_meta").has(META_VERSION);
  }

  private static boolean contains(byte[] haystack, byte[] needle) {
    outer:
    for (int i = 0; i + needle.length <= haystack.length; i++) {
      for (int j = 0; j < needle.length; j++) {
        if (haystack[i + j] != needle[j]) {
          continue outer;
        }
      }
      return true;
    }
    return false;
  }

  /** Answers one POST of the stateless revision; {@code parsed} is its body if already parsed. */
  private StreamableResponse answer(
      StreamableRequest request, McpAuth.@Nullable AccessToken token, @Nullable JsonNode parsed)
      throws InterruptedException {
    byte[] body = request.body();
    if (parsed == null && JsonRpc.isBatch(body)) {
      return HttpFront.error(
          400,
          null,
          McpError.INVALID_REQUEST,
          "Invalid Request: protocol version 2026-07-28 takes one JSON-RPC message per POST, not a"
              + " batch");
    }
    JsonNode message;
    JsonRpc.Kind kind;
    try {
      message = parsed != null ? parsed : JsonRpc.parse(body);
      kind = JsonRpc.classify(message);
    } catch (JsonRpcException e) {
      return HttpFront.error(
          400,
          null,
          e.code(),
          (e.code() == McpError.PARSE_ERROR ? "Parse error: " : "Invalid Request: ")
              + e.getMessage());
    }
    JsonNode id = message.get("id");
    Optional<SingleResponse> refused = HttpFront.checkPost(request, id);
    if (refused.isPresent()) {
      return refused.get();
    }
    if (kind == JsonRpc.Kind.RESPONSE) {
      return HttpFront.error(
          400,
          id,
          McpError.INVALID_REQUEST,
          "Invalid Request: on protocol version 2026-07-28 servers send no requests, so clients"
              + " POST no responses");
    }
    if (kind == JsonRpc.Kind.NOTIFICATION) {
      LOG.debug("MCP 2026-07-28 notification {} accepted and ignored", message.path("method"));
      return SingleResponse.empty(202);
    }
    String method = message.path("method").asString();
    JsonNode params = message.path("params");
    Optional<SingleResponse> ladder = checkMeta(request, id, params);
    if (ladder.isPresent()) {
      return ladder.get();
    }
    JsonNode toolSchema =
        "tools/call".equals(method) ? server.toolSchema(params.path("name").asString("")) : null;
    Optional<String> mismatch = McpHeaders.mismatch(request, message, toolSchema);
    if (mismatch.isPresent()) {
      return HttpFront.error(
          400, id, McpError.HEADER_MISMATCH, "Header mismatch: " + mismatch.get());
    }
    if (!offered(method)) {
      return HttpFront.error(
          404,
          id,
          McpError.METHOD_NOT_FOUND,
          "Method not found: "
              + method
              + (REMOVED.contains(method) ? " (removed in protocol version 2026-07-28)" : ""));
    }
    if (auth != null) {
      Optional<SingleResponse> forbidden =
          auth.authorize(
              Objects.requireNonNull(token, "token (handle() validates one when auth is on)"),
              id,
              method,
              McpAuth.nameOf(method, params));
      if (forbidden.isPresent()) {
        return forbidden.get();
      }
    }
    if (shuttingDown) {
      return HttpFront.error(
          503, id, McpError.SERVER_ERROR, "Service Unavailable: server shutting down");
    }
    if ("subscriptions/listen".equals(method)) {
      return listens.open(id, params);
    }
    if (inFlight.incrementAndGet() > maxInFlight) {
      inFlight.decrementAndGet();
      return HttpFront.error(
          503,
          id,
          McpError.SERVER_ERROR,
          "Service Unavailable: "
              + maxInFlight
              + " stateless requests are already running (maxInFlight); try again later");
    }
    StatelessExchange exchange = new StatelessExchange();
    running.add(exchange);
    Thread worker =
        HANDLERS.newThread(
            () -> {
              try {
                exchange.complete(run(exchange, message, method, params, token));
              } catch (Throwable t) { // an Error out of a handler: answer, never leave it hanging
                String ref = Messages.newErrorId();
                LOG.error("MCP 2026-07-28 handler of {} failed (error id {})", method, ref, t);
                exchange.complete(Messages.internalError(id, ref));
                if (t instanceof VirtualMachineError e) {
                  throw e;
                }
              } finally {
                running.remove(exchange);
                inFlight.decrementAndGet();
              }
            });
    exchange.worker(worker);
    worker.start();
    JsonNode json = exchange.awaitDecision(jsonWait);
    if (json != null) {
      int status =
          json.path("error").path("code").asInt(0) == McpError.METHOD_NOT_FOUND ? 404 : 200;
      if (json.path("error").path("code").asInt(0) == McpError.MISSING_REQUIRED_CLIENT_CAPABILITY) {
        status = 400;
      }
      return SingleResponse.json(status, json.toString());
    }
    return StreamResponse.of(exchange::pump);
  }

  /** The {@code _meta} and version rules (1-4 of the ladder). */
  private Optional<SingleResponse> checkMeta(
      StreamableRequest request, JsonNode id, JsonNode params) {
    JsonNode meta = params.path("_meta");
    if (!meta.isObject()) {
      return Optional.of(
          HttpFront.error(
              400,
              id,
              McpError.INVALID_PARAMS,
              "Invalid params: params._meta is required on protocol version 2026-07-28 requests"
                  + " (with "
                  + META_VERSION
                  + " and "
                  + META_CAPABILITIES
                  + ")"));
    }
    JsonNode version = meta.path(META_VERSION);
    if (!version.isString()) {
      return Optional.of(
          HttpFront.error(
              400,
              id,
              McpError.INVALID_PARAMS,
              "Invalid params: params._meta[\"" + META_VERSION + "\"] is required (a string)"));
    }
    if (!meta.path(META_CAPABILITIES).isObject()) {
      return Optional.of(
          HttpFront.error(
              400,
              id,
              McpError.INVALID_PARAMS,
              "Invalid params: params._meta[\""
                  + META_CAPABILITIES
                  + "\"] is required (an object; {} when the client has none), got "
                  + HttpFront.abbreviate(meta.path(META_CAPABILITIES))));
    }
    JsonNode info = meta.path(META_CLIENT_INFO);
    if (!info.isMissingNode() && !info.isObject()) {
      return Optional.of(
          HttpFront.error(
              400,
              id,
              McpError.INVALID_PARAMS,
              "Invalid params: params._meta[\"" + META_CLIENT_INFO + "\"] must be an object"));
    }
    Optional<String> header = request.header(McpEndpoint.VERSION_HEADER).map(String::trim);
    if (header.isEmpty() || !header.get().equals(version.asString())) {
      return Optional.of(
          HttpFront.error(
              400,
              id,
              McpError.HEADER_MISMATCH,
              "Header mismatch: the MCP-Protocol-Version header "
                  + header.map(h -> "'" + HttpFront.abbreviate(h) + "'").orElse("(absent)")
                  + " must equal params._meta[\""
                  + META_VERSION
                  + "\"] '"
                  + HttpFront.abbreviate(version.asString())
                  + "'"));
    }
    if (!versions.contains(version.asString())) {
      ObjectNode data = McpJson.object();
      versions.forEach(data.putArray("supported")::add);
      data.put("requested", version.asString());
      return Optional.of(
          HttpFront.error(
              400,
              id,
              McpError.UNSUPPORTED_PROTOCOL_VERSION,
              "Unsupported protocol version: "
                  + HttpFront.abbreviate(version.asString())
                  + " (supported: "
                  + String.join(", ", versions)
                  + "; 2025-11-25 and older through initialize)",
              data));
    }
    JsonNode level = meta.path(META_LOG_LEVEL);
    if (!level.isMissingNode() && !ClientState.LEVELS.contains(level.asString(""))) {
      return Optional.of(
          HttpFront.error(
              400,
              id,
              McpError.INVALID_PARAMS,
              "Invalid params: params._meta[\""
                  + META_LOG_LEVEL
                  + "\"] must be one of "
                  + ClientState.LEVELS
                  + ", got "
                  + HttpFront.abbreviate(level)));
    }
    return Optional.empty();
  }

  /** Whether this server answers {@code method} on the stateless revision. */
  private boolean offered(String method) {
    if (REMOVED.contains(method)) {
      return false;
    }
    if (method.equals("server/discover")) {
      return true;
    }
    if (method.equals("subscriptions/listen")) {
      return listens.anyKindOffered();
    }
    if (method.startsWith("tools/")) {
      return server.hasTools() && (method.equals("tools/list") || method.equals("tools/call"));
    }
    if (method.startsWith("prompts/")) {
      return server.hasPrompts() && (method.equals("prompts/list") || method.equals("prompts/get"));
    }
    if (method.startsWith("resources/")) {
      return server.hasResources()
          && (method.equals("resources/list")
              || method.equals("resources/read")
              || method.equals("resources/templates/list"));
    }
    if (method.equals("completion/complete")) {
      return server.hasCompletion();
    }
    return server.hasMethod(method);
  }

  /** Runs one request on its own virtual thread; the JSON-RPC response to send. */
  private JsonNode run(
      StatelessExchange exchange,
      JsonNode request,
      String method,
      JsonNode params,
      McpAuth.@Nullable AccessToken token) {
    JsonNode id = request.get("id");
    StatelessContext ctx = new StatelessContext(this, exchange, method, params, token);
    try {
      JsonNode result;
      if (method.equals("server/discover")) {
        result = discoverResult();
      } else {
        ctx.openAnswers();
        result = server.dispatch(ctx, method, params.isObject() ? stripInput(params) : null);
      }
      return Messages.result(id, decorate(method, result));
    } catch (StatelessContext.InputRequired ir) {
      ObjectNode result = McpJson.object().put("resultType", "input_required");
      result.set("inputRequests", ir.requests());
      result.put("requestState", ir.state());
      result.putObject("_meta").set(META_SERVER_INFO, server.serverInfo());
      return Messages.result(id, result);
    } catch (McpError e) {
      if (e.code() == McpError.RESOURCE_NOT_FOUND) {
        // 2026-07-28 (SEP-2164): resource not found is -32602 with data.uri
        return Messages.errorResponse(id, McpError.INVALID_PARAMS, e.message(), e.data());
      }
      return Messages.errorResponse(id, e.code(), e.message(), e.data());
    } catch (InterruptedException e) {
      String why = shuttingDown ? "server shutting down" : "request cancelled";
      return Messages.errorResponse(id, McpError.INTERNAL_ERROR, why, null);
    } catch (Exception e) {
      String ref = Messages.newErrorId();
      LOG.warn("MCP 2026-07-28 handler of {} failed (error id {})", method, ref, e);
      return Messages.internalError(id, ref);
    } finally {
      Thread.interrupted(); // clear a late cancellation
    }
  }

  /** The params a handler sees: without the input round trip's own members. */
  private static JsonNode stripInput(JsonNode params) {
    if (!params.has("inputResponses") && !params.has("requestState")) {
      return params;
    }
    ObjectNode p = ((ObjectNode) params).deepCopy();
    p.remove(List.of("inputResponses", "requestState"));
    return p;
  }

  RequestStates states() {
    return states;
  }

  /** {@code server/discover}'s result. */
  private ObjectNode discoverResult() {
    ObjectNode out = McpJson.object();
    versions.forEach(out.putArray("supportedVersions")::add);
    out.set("capabilities", server.capabilities().deepCopy());
    server.instructions().ifPresent(i -> out.put("instructions", i));
    return out;
  }

  /** A complete result with {@code resultType}, {@code serverInfo} and cache hints. */
  private JsonNode decorate(String method, JsonNode result) {
    if (!(result instanceof ObjectNode r)) {
      return result;
    }
    if (!r.has("resultType")) {
      r.put("resultType", "complete");
    }
    if (CACHEABLE.contains(method)) {
      if (!r.has("ttlMs")) {
        r.put("ttlMs", method.equals("resources/read") ? 0 : listTtl.toMillis());
      }
      if (!r.has("cacheScope")) {
        r.put("cacheScope", method.equals("resources/read") ? "private" : "public");
      }
    }
    ObjectNode meta =
        r.has("_meta") && r.get("_meta").isObject()
            ? (ObjectNode) r.get("_meta")
            : r.putObject("_meta");
    if (!meta.has(META_SERVER_INFO)) {
      meta.set(META_SERVER_INFO, server.serverInfo());
    }
    return r;
  }

  /** Interrupts every running request (they answer "server shutting down") and ends listens. */
  void shutdown() {
    shuttingDown = true;
    for (StatelessExchange e : running) {
      e.interruptWorker();
    }
    listens.endAll();
  }

  /** Waits until every running request has been answered or {@code deadlineNanos} passes. */
  boolean awaitIdle(long deadlineNanos) throws InterruptedException {
    for (StatelessExchange e : running) {
      if (!e.awaitDone(deadlineNanos)) {
        return false;
      }
    }
    return true;
  }

  /** Ends everything at once and accepts requests again (the transport stays usable). */
  void closeAll() {
    for (StatelessExchange e : running) {
      e.interruptWorker();
      e.cancel();
    }
    listens.endAll();
    shuttingDown = false;
  }

  int inFlight() {
    return inFlight.get();
  }
}
