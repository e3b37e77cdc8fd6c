package io.servicekit.mcp;

import io.servicekit.sse.SseEvent;
import io.servicekit.streamable.SingleResponse;
import io.servicekit.streamable.StreamResponse;
import io.servicekit.streamable.StreamableRequest;
import io.servicekit.streamable.StreamableResponse;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ArrayNode;

/**
 * The session path (2024-11-05 … 2025-11-25): {@code initialize} and {@code Mcp-Session-Id}, POSTs
 * of a session answered as JSON or an event stream, the standalone GET stream, resumption with
 * {@code Last-Event-ID} and priming events, and DELETE.
 */
final class SessionPath {
  private static final Logger LOG = LoggerFactory.getLogger(McpEndpoint.class);
  private static final String SESSION_HEADER = McpEndpoint.SESSION_HEADER;

  private final SessionStore sessions;
  private final Dispatcher dispatcher;
  private final boolean standaloneGet;
  private final Duration retry;
  private final Limits limits;

  SessionPath(
      SessionStore sessions,
      Dispatcher dispatcher,
      boolean standaloneGet,
      Duration retry,
      Limits limits) {
    this.sessions = sessions;
    this.limits = limits;
    this.dispatcher = dispatcher;
    this.standaloneGet = standaloneGet;
    this.retry = retry;
  }

  /** A request's session and protocol version, or the answer refusing it. */
  private sealed interface Caller {}

  private record Known(McpSession session, String version) implements Caller {}

  private record Refused(SingleResponse error) implements Caller {}

  /**
   * The request's session, which must belong to the subject of the request's token when
   * authorization is on (another user's session id is answered like an unknown one, 404), and the
   * request's protocol version (the header's, else the session's).
   */
  private Caller caller(StreamableRequest request, McpAuth.@Nullable AccessToken token) {
    McpSession session;
    switch (sessions.of(request)) {
      case SessionStore.SessionOrError.Refused r -> {
        return new Refused(r.error());
      }
      case SessionStore.SessionOrError.Found f -> session = f.session();
    }
    String subject = token == null ? null : token.subject();
    if (!java.util.Objects.equals(session.subject, subject)) {
      return new Refused(SessionStore.notFound(session.id));
    }
    return switch (Revisions.of(request, session.protocolVersion)) {
      case Revisions.VersionOrError.Refused r -> new Refused(r.error());
      case Revisions.VersionOrError.Found v -> new Known(session, v.version());
    };
  }

  // ---- POST ----

  StreamableResponse post(
      StreamableRequest request, PostBody body, McpAuth.@Nullable AccessToken token)
      throws InterruptedException {
    if (body.hasInitialize()) {
      if (body.batch()) {
        return HttpFront.error(
            400,
            McpError.INVALID_REQUEST,
            "Invalid Request: initialize must not be part of a JSON-RPC batch");
      }
      return initialize(request, body.messages().get(0), token);
    }
    Known caller;
    switch (caller(request, token)) {
      case Refused r -> {
        return r.error();
      }
      case Known k -> caller = k;
    }
    McpSession session = caller.session();
    if (body.batch() && !Revisions.acceptsBatches(caller.version())) {
      return HttpFront.error(
          400,
          McpError.INVALID_REQUEST,
          "Invalid Request: JSON-RPC batches are only accepted from 2025-03-26 clients; this"
              + " request is protocol version "
              + caller.version()
              + " (send one message per POST)");
    }
    int count = body.requestCount();
    if (count == 0) { // notifications and responses only: nothing to answer
      dispatcher.accept(session, body.messages(), body.kinds());
      return SingleResponse.empty(202);
    }
    McpStream stream = session.newStream(count);
    if (stream == null) {
      int max = limits.maxStreamsPerSession();
      return HttpFront.error(
          429,
          McpError.SERVER_ERROR,
          "Too Many Requests: this session holds "
              + max
              + " streams still running or being delivered (maxStreamsPerSession "
              + max
              + "); wait for answers before sending more requests");
    }
    List<JsonNode> requests = dispatcher.accept(session, body.messages(), body.kinds());
    dispatcher.start(session, stream, requests, token); // count requests: not empty
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
      if (body.batch()) {
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

  private StreamableResponse initialize(
      StreamableRequest request, JsonNode message, McpAuth.@Nullable AccessToken token) {
    Optional<String> existing = request.header(SESSION_HEADER).filter(s -> !s.isBlank());
    if (existing.isPresent() && sessions.contains(existing.get().trim())) {
      return HttpFront.error(
          400,
          McpError.INVALID_REQUEST,
          "Invalid Request: Server already initialized (session "
              + HttpFront.abbreviate(existing.get())
              + "); initialize without Mcp-Session-Id to start a new session");
    }
    JsonNode params = message.path("params");
    JsonNode requested = params.path("protocolVersion");
    if (!requested.isString()) {
      return SingleResponse.json(
          200,
          Messages.errorResponse(
                  message.get("id"),
                  McpError.INVALID_PARAMS,
                  "initialize needs params.protocolVersion (a string)",
                  null)
              .toString());
    }
    String version = Revisions.negotiate(requested.asString());
    JsonNode caps = params.path("capabilities");
    JsonNode info = params.path("clientInfo");
    McpSession session =
        sessions.create(
            version,
            caps.isObject() ? caps : McpJson.object(),
            info.isObject() ? info : McpJson.object());
    if (session != null) {
      session.subject = token == null ? null : token.subject();
    }
    if (session == null) {
      return HttpFront.error(
          503,
          McpError.SERVER_ERROR,
          "Service Unavailable: too many MCP sessions ("
              + sessions.maxSessions()
              + "); try again later");
    }
    JsonNode response =
        Messages.result(message.get("id"), dispatcher.server().initializeResult(version));
    LOG.debug("MCP session {} initialized, protocol {}", session.id, version);
    return SingleResponse.json(200, response.toString()).withHeader(SESSION_HEADER, session.id);
  }

  /** The priming event (resuming from it replays what follows {@code after}), or null. */
  private @Nullable SseEvent priming(McpSession session, McpStream stream, long after) {
    if (!Revisions.primes(session.protocolVersion)) {
      return null;
    }
    return SseEvent.of(null, stream.eventId(after), retry.toMillis(), "");
  }

  private @Nullable Duration retryFor(McpSession session) {
    return Revisions.primes(session.protocolVersion) ? retry : null;
  }

  // ---- GET ----

  StreamableResponse get(StreamableRequest request, McpAuth.@Nullable AccessToken token) {
    Optional<SingleResponse> bad = HttpFront.checkGet(request);
    if (bad.isPresent()) {
      return bad.get();
    }
    Known caller;
    switch (caller(request, token)) {
      case Refused r -> {
        return r.error();
      }
      case Known k -> caller = k;
    }
    McpSession session = caller.session();
    Optional<String> lastEventId = request.header("Last-Event-ID").filter(s -> !s.isBlank());
    if (lastEventId.isPresent()) {
      String eventId = lastEventId.get().trim();
      McpSession.Resumption target = session.resumption(eventId);
      McpStream stream = target.stream();
      if (stream == null && !target.issued()) {
        return HttpFront.error(
            400,
            McpError.SERVER_ERROR,
            "Bad Request: Last-Event-ID "
                + HttpFront.abbreviate(lastEventId.get())
                + " was not issued on a stream of this session");
      }
      if (stream == null || stream.seqOf(eventId) + 1 < stream.oldestKept()) {
        return HttpFront.error(
            400,
            McpError.SERVER_ERROR,
            "Bad Request: the events after Last-Event-ID "
                + HttpFront.abbreviate(lastEventId.get())
                + " are no longer stored ("
                + (stream == null
                    ? "that stream was fully delivered or dropped"
                    : "a stream keeps its last " + limits.maxStoredEvents() + " events")
                + "; maxStoredEvents "
                + limits.maxStoredEvents()
                + ", maxStreamsPerSession "
                + limits.maxStreamsPerSession()
                + ")");
      }
      long after = stream.seqOf(eventId);
      return StreamResponse.of(sink -> stream.pump(sink, after, null, retryFor(session)))
          .withHeader(SESSION_HEADER, session.id);
    }
    if (!standaloneGet) {
      return HttpFront.error(
              405,
              McpError.SERVER_ERROR,
              "Method Not Allowed: this server offers no standalone GET stream")
          .withHeader("Allow", "POST, DELETE");
    }
    McpStream stream = session.standalone();
    if (!stream.tryReserve()) {
      return HttpFront.error(
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

  StreamableResponse delete(StreamableRequest request, McpAuth.@Nullable AccessToken token) {
    Known caller;
    switch (caller(request, token)) {
      case Refused r -> {
        return r.error();
      }
      case Known k -> caller = k;
    }
    McpSession session = caller.session();
    sessions.end(session, "session deleted by the client");
    LOG.debug("MCP session {} deleted", session.id);
    return SingleResponse.empty(200);
  }
}
