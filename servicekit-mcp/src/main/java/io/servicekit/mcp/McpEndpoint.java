package io.servicekit.mcp;

import io.servicekit.OriginPolicy;
import io.servicekit.Scheduler;
import io.servicekit.internal.Check;
import io.servicekit.sse.EventStore;
import io.servicekit.sse.MemoryEventStore;
import io.servicekit.streamable.GracefulHandler;
import io.servicekit.streamable.SingleResponse;
import io.servicekit.streamable.StreamableHandler;
import io.servicekit.streamable.StreamableRequest;
import io.servicekit.streamable.StreamableResponse;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import org.jspecify.annotations.Nullable;
import tools.jackson.databind.node.ObjectNode;

/**
 * The MCP Streamable HTTP server transport (protocol versions 2025-03-26, 2025-06-18 and
 * 2025-11-25; 2024-11-05 clients are served too): one endpoint for POST, GET and DELETE, a {@link
 * StreamableHandler} to mount with {@code StreamableServe.handler(transport)} (servicekit-jetty),
 * which runs {@link #shutdown()} on a graceful shutdown and {@link #close} when it stops. It serves
 * an {@link McpServer}.
 *
 * <table>
 * <caption>Answers</caption>
 * <tr><th>case</th><th>status</th></tr>
 * <tr><td>{@code Host} not allowed, or an {@code Origin} not allowed (DNS rebinding)</td><td>403</td></tr>
 * <tr><td>method other than POST, GET, DELETE</td><td>405, {@code Allow: GET, POST, DELETE}</td></tr>
 * <tr><td>POST whose {@code Accept} lacks {@code application/json} or {@code text/event-stream}; GET without {@code text/event-stream}</td><td>406</td></tr>
 * <tr><td>POST whose {@code Content-Type} is not {@code application/json}</td><td>415</td></tr>
 * <tr><td>body not JSON / not JSON-RPC</td><td>400, error -32700 / -32600</td></tr>
 * <tr><td>a batch from a client not on 2025-03-26, or {@code initialize} in a batch, or over {@link Builder#maxBatchSize}</td><td>400, -32600</td></tr>
 * <tr><td>no {@code Mcp-Session-Id} (other than on {@code initialize})</td><td>400, -32000</td></tr>
 * <tr><td>unknown, ended or expired session</td><td>404, -32001</td></tr>
 * <tr><td>unsupported {@code MCP-Protocol-Version}</td><td>400, -32000</td></tr>
 * <tr><td>only notifications and/or responses</td><td>202, no body</td></tr>
 * <tr><td>requests while the session holds {@link Builder#maxStreamsPerSession} running streams</td><td>429, -32000</td></tr>
 * <tr><td>requests</td><td>200 JSON, or 200 {@code text/event-stream} once the handler sends anything before its result</td></tr>
 * <tr><td>GET: standalone stream disabled / already open</td><td>405 / 409</td></tr>
 * <tr><td>GET with {@code Last-Event-ID}</td><td>that stream's later events, then live ones; 400, -32000 when they are no longer stored</td></tr>
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
 * alive by it. {@code StreamableServe} calls {@link #close} (which is {@link #closeAll}) when its
 * Jetty handler stops.
 */
public final class McpEndpoint implements GracefulHandler, AutoCloseable {
  private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(McpEndpoint.class);

  /** Protocol versions served, newest first. */
  public static final List<String> SUPPORTED_VERSIONS =
      List.of("2025-11-25", "2025-06-18", "2025-03-26", "2024-11-05");

  /**
   * Stateless protocol versions served beside the session ones: a POST whose {@code
   * MCP-Protocol-Version} header or {@code params._meta["io.modelcontextprotocol/protocolVersion"]}
   * names one takes the stateless path (no {@code initialize}, no session; {@code server/discover},
   * {@code input_required} results, {@code subscriptions/listen}).
   */
  public static final List<String> STATELESS_VERSIONS = List.of("2026-07-28");

  /** The version assumed when a request does not say (spec: 2025-03-26). */
  public static final String DEFAULT_VERSION = "2025-03-26";

  /** The session header. */
  public static final String SESSION_HEADER = "Mcp-Session-Id";

  /** The protocol version header. */
  public static final String VERSION_HEADER = "MCP-Protocol-Version";

  /**
   * How long {@link #shutdown()} lets running requests answer and streams flush before ending them
   * at once (formerly {@code McpServe.SHUTDOWN_GRACE}).
   */
  public static final Duration SHUTDOWN_GRACE = Duration.ofSeconds(5);

  private final HttpFront front;
  private final SessionStore sessions;
  private final Dispatcher dispatcher;
  private final SessionPath sessionPath;
  private final Listens listens;
  private final StatelessPath stateless;
  private final @Nullable McpAuth auth; // opt-in: null = no authorization

  private final Limits limits;

  private McpEndpoint(Builder b) {
    this.limits =
        new Limits(b.maxBatchSize, b.maxAnswerBytes, b.maxStreamsPerSession, b.maxStoredEvents);
    EventStore store = b.store;
    if (store == null) {
      // Streams are trimmed when delivered or dropped; the session and stream bounds bound them.
      long streams = (long) b.maxSessions * (b.maxStreamsPerSession + 1);
      store = new MemoryEventStore(b.maxStoredEvents, (int) Math.min(Integer.MAX_VALUE, streams));
    }
    this.front = new HttpFront(b.allowedOrigins, b.allowedHosts);
    this.sessions =
        new SessionStore(store, b.scheduler, b.maxSessions, b.sessionIdleTimeout, limits);
    this.dispatcher = new Dispatcher(b.server, b.requestTimeout);
    this.sessionPath = new SessionPath(sessions, dispatcher, b.standaloneGet, b.retry, limits);
    this.auth = b.auth;
    this.listens = new Listens(b.server, b.maxListens);
    this.stateless =
        new StatelessPath(
            b.server,
            STATELESS_VERSIONS,
            new RequestStates(
                b.requestStateKey != null ? b.requestStateKey : RequestStates.randomKey(),
                b.requestStateTtl,
                System::currentTimeMillis),
            listens,
            b.auth,
            Duration.ofSeconds(1),
            b.listTtl,
            b.maxInFlight);
  }

  /** How often idle sessions are looked for: half the timeout, between 100 ms and 60 s. */
  static Duration sweepPeriod(Duration idleTimeout) {
    return SessionStore.sweepPeriod(idleTimeout);
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

  /** The streams session {@code id} holds (running, or kept for a resumption); -1 if none. */
  int streamCount(String id) {
    McpSession s = sessions.get(id);
    return s == null ? -1 : s.streamCount();
  }

  /** The streams of session {@code id} that have not ended; -1 if none. */
  int runningStreamCount(String id) {
    McpSession s = sessions.get(id);
    return s == null ? -1 : (int) s.streams().stream().filter(x -> !x.isEnded()).count();
  }

  /**
   * Sends {@code notifications/resources/updated} for {@code uri} to every session subscribed to
   * it, on its standalone GET stream (kept there for a resumption if none is connected), and to
   * every stateless {@code subscriptions/listen} stream that names it.
   */
  public void resourceUpdated(String uri) {
    listens.resourceUpdated(uri);
    ObjectNode params = McpJson.object().put("uri", uri);
    for (McpSession s : sessions.all()) {
      if (s.subscriptions.contains(uri)) {
        McpStream g = s.standaloneIfOpened();
        if (g != null) {
          g.emit(Messages.notification("notifications/resources/updated", params), false);
        }
      }
    }
  }

  /**
   * Tells clients the tool list changed ({@code notifications/tools/list_changed}); see {@link
   * #listChanged}.
   */
  public void toolsListChanged() {
    listChanged("tools");
  }

  /** Tells clients the prompt list changed; see {@link #listChanged}. */
  public void promptsListChanged() {
    listChanged("prompts");
  }

  /** Tells clients the resource list changed; see {@link #listChanged}. */
  public void resourcesListChanged() {
    listChanged("resources");
  }

  /**
   * Sends {@code notifications/<kind>/list_changed} to every session's standalone GET stream (if it
   * was opened) and to every stateless listen that asked for it. Only meaningful when the server
   * was built with {@link McpServer.Builder#listChanged listChanged(true)}.
   */
  private void listChanged(String kind) {
    listens.listChanged(kind);
    for (McpSession s : sessions.all()) {
      McpStream g = s.standaloneIfOpened();
      if (g != null) {
        g.emit(Messages.notification("notifications/" + kind + "/list_changed", null), false);
      }
    }
  }

  /** Stateless requests running now (for tests and metrics). */
  int statelessInFlight() {
    return stateless.inFlight();
  }

  /** Open stateless {@code subscriptions/listen} streams. */
  int listenCount() {
    return listens.size();
  }

  /**
   * Ends every session (e.g. on shutdown) and stops the idle sweep. The transport stays usable: a
   * later {@code initialize} starts a session (and the sweep) again.
   */
  public void closeAll() {
    sessions.closeAll();
    stateless.closeAll();
  }

  /** {@link #closeAll}: {@code StreamableServe} calls it when its Jetty handler stops. */
  @Override
  public void close() {
    closeAll();
  }

  /**
   * {@link #shutdown(Duration)} within {@link #SHUTDOWN_GRACE}: {@code StreamableServe} calls it on
   * a graceful shutdown, before it ends the streams still open.
   */
  @Override
  public CompletableFuture<Void> shutdown() {
    return shutdown(SHUTDOWN_GRACE);
  }

  /**
   * Graceful end of every session, for a server shutdown ({@link #shutdown()} runs it within {@link
   * #SHUTDOWN_GRACE}): running requests are interrupted and answered with error -32603 {@code
   * server shutting down} (pending server-to-client requests fail the same way), every stream sends
   * what it holds — those answers included — to its attached connection and then ends, closing that
   * connection. Streams that have not finished after {@code grace} (a handler ignoring the
   * interrupt, a client not reading) are ended at once; then {@link #closeAll} runs. The stage
   * completes when all that is done.
   */
  public CompletableFuture<Void> shutdown(Duration grace) {
    Objects.requireNonNull(grace, "grace");
    stateless.shutdown();
    long deadline = System.nanoTime() + grace.toNanos();
    return sessions
        .shutdown(grace)
        .thenRun(
            () -> {
              try {
                if (!stateless.awaitIdle(deadline)) {
                  LOG.warn("stateless MCP requests did not finish within {}: ending them", grace);
                }
              } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
              } finally {
                stateless.closeAll();
              }
            });
  }

  @Override
  public StreamableResponse handle(StreamableRequest request) throws Exception {
    Optional<SingleResponse> refused = front.checkHostAndOrigin(request);
    if (refused.isPresent()) {
      return refused.get();
    }
    McpAuth.@Nullable AccessToken token =
        null; // the request's validated token, with authorization on
    if (auth != null) {
      switch (auth.authenticate(request)) {
        case McpAuth.Refused r -> {
          return r.response();
        }
        case McpAuth.Granted g -> token = g.token();
      }
    }
    return switch (request.method().toUpperCase(Locale.ROOT)) {
      case "POST" -> {
        Optional<StreamableResponse> modern = stateless.post(request, token);
        yield modern.isPresent() ? modern.get() : post(request, token);
      }
      case "GET", "DELETE" -> {
        Optional<String> version =
            request.header(VERSION_HEADER).map(String::trim).filter(STATELESS_VERSIONS::contains);
        if (request.header(SESSION_HEADER).isEmpty() && version.isPresent()) {
          yield HttpFront.error(
                  405,
                  McpError.SERVER_ERROR,
                  "Method Not Allowed: protocol version "
                      + version.get()
                      + " uses POST only (no sessions, no GET stream)")
              .withHeader("Allow", "POST");
        }
        yield request.method().equalsIgnoreCase("GET")
            ? sessionPath.get(request, token)
            : sessionPath.delete(request, token);
      }
      default -> HttpFront.methodNotAllowed(request);
    };
  }

  private StreamableResponse post(StreamableRequest request, McpAuth.@Nullable AccessToken token)
      throws Exception {
    Optional<SingleResponse> bad = HttpFront.checkPost(request);
    if (bad.isPresent()) {
      return bad.get();
    }
    PostBody body;
    try {
      body = PostBody.parse(request.body(), limits.maxBatchSize());
    } catch (JsonRpcException e) {
      return PostBody.refusal(e);
    }
    if (auth != null) { // the scopes of every request of this POST
      Optional<SingleResponse> forbidden =
          auth.authorize(
              Objects.requireNonNull(token, "token (handle() validates one when auth is on)"),
              body.messages());
      if (forbidden.isPresent()) {
        return forbidden.get();
      }
    }
    return sessionPath.post(request, body, token);
  }

  /** Builds a {@link McpEndpoint}. */
  public static final class Builder {
    private final McpServer server;
    private OriginPolicy allowedOrigins = OriginPolicy.localhost();
    private List<String> allowedHosts = List.of("localhost", "127.0.0.1", "[::1]");
    private boolean standaloneGet = true;
    private @Nullable EventStore store; // null: a MemoryEventStore sized by the limits
    private Duration retry = Duration.ofSeconds(1);
    private Duration requestTimeout = Duration.ofSeconds(60);
    private Duration sessionIdleTimeout = Duration.ofMinutes(30);
    private int maxSessions = 10_000;
    private int maxBatchSize = 100;
    private int maxAnswerBytes = 4 << 20;
    private int maxStreamsPerSession = 100;
    private int maxStoredEvents = 1000;
    private Scheduler scheduler = Scheduler.system();
    private byte @Nullable [] requestStateKey;
    private Duration requestStateTtl = Duration.ofMinutes(10);
    private int maxListens = 1000;
    private int maxInFlight = 1000;
    private Duration listTtl = Duration.ZERO;
    private @Nullable McpAuth auth;

    private Builder(McpServer server) {
      this.server = Objects.requireNonNull(server, "server");
    }

    /**
     * Browser origins allowed (an {@code Origin} header outside them is answered 403); default
     * {@link OriginPolicy#localhost()}.
     */
    public Builder allowedOrigins(OriginPolicy origins) {
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

    /**
     * Where events are kept for resumption (default a {@link MemoryEventStore} keeping {@link
     * #maxStoredEvents} per stream). A store given here should keep at least {@code
     * maxStoredEvents} events per stream.
     */
    public Builder eventStore(EventStore store) {
      this.store = Objects.requireNonNull(store, "store");
      return this;
    }

    /** The {@code retry} hint for 2025-11-25 clients (default 1 s). */
    public Builder retry(Duration retry) {
      this.retry = Check.atLeastOneMilli("retry", retry);
      return this;
    }

    /** How long {@link McpContext#request} waits for the client by default (60 s). */
    public Builder requestTimeout(Duration timeout) {
      this.requestTimeout = Check.positive("requestTimeout", timeout);
      return this;
    }

    /**
     * After how long without activity a session ends (default 30 min): no request of it arrived,
     * none ran and none of its streams had a connection attached for that long. Checked by a
     * periodic sweep every {@code min(timeout / 2, 60 s)} (at least 100 ms apart), so a session
     * ends at most one period after its deadline.
     */
    public Builder sessionIdleTimeout(Duration timeout) {
      this.sessionIdleTimeout = Check.positive("sessionIdleTimeout", timeout);
      return this;
    }

    /** Most live sessions; {@code initialize} beyond is answered 503 (default 10 000). */
    public Builder maxSessions(int max) {
      this.maxSessions = Check.positive("maxSessions", max);
      return this;
    }

    /**
     * Most messages in one JSON-RPC batch (default 100); a larger batch is answered 400, -32600,
     * naming the limit and the count.
     */
    public Builder maxBatchSize(int max) {
      this.maxBatchSize = Check.positive("maxBatchSize", max);
      return this;
    }

    /**
     * Most bytes (UTF-8) of the responses to one POST, JSON or on its event stream (default 4 MiB).
     * A response that would go over is replaced by an error response (-32603) with the same id
     * naming the limit.
     */
    public Builder maxAnswerBytes(int max) {
      this.maxAnswerBytes = Check.positive("maxAnswerBytes", max);
      return this;
    }

    /**
     * Most streams one session holds: POSTs being answered, ended event streams kept because their
     * last events have not reached a connection yet (for {@code Last-Event-ID}), and the standalone
     * GET stream (default 100). A new stream first drops the oldest ended one; when all are
     * running, the POST is answered 429 (-32000) naming the limit.
     */
    public Builder maxStreamsPerSession(int max) {
      this.maxStreamsPerSession = Check.positive("maxStreamsPerSession", max);
      return this;
    }

    /**
     * Most events a stream keeps for resumption (default 1000; the oldest are dropped). A {@code
     * Last-Event-ID} older than what is kept is answered 400 (-32000) "no longer stored".
     */
    public Builder maxStoredEvents(int max) {
      this.maxStoredEvents = Check.positive("maxStoredEvents", max);
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
     * The HMAC-SHA256 key that seals 2026-07-28 {@code requestState}s (at least 32 bytes). Default:
     * a random key per transport, so a state only comes back valid to the process that issued it;
     * give every node of a cluster the same key so a retry may land on any of them.
     */
    public Builder requestStateKey(byte[] key) {
      if (key == null || key.length < 32) {
        throw new IllegalArgumentException(
            "requestStateKey must be at least 32 bytes, got "
                + (key == null ? "null" : key.length + " bytes"));
      }
      this.requestStateKey = key.clone();
      return this;
    }

    /** How long a {@code requestState} stays valid for its retry (default 10 min). */
    public Builder requestStateTtl(Duration ttl) {
      this.requestStateTtl = Check.positive("requestStateTtl", ttl);
      return this;
    }

    /** Most open {@code subscriptions/listen} streams; more are answered 503 (default 1000). */
    public Builder maxListens(int max) {
      this.maxListens = Check.positive("maxListens", max);
      return this;
    }

    /** Most stateless requests running at once; more are answered 503 (default 1000). */
    public Builder maxInFlight(int max) {
      this.maxInFlight = Check.positive("maxInFlight", max);
      return this;
    }

    /**
     * The {@code ttlMs} hint on 2026-07-28 list results and {@code server/discover} (default 0:
     * clients re-ask every time; list changes are announced to listens anyway). {@code
     * resources/read} results get {@code ttlMs: 0} and {@code cacheScope: "private"} unless the
     * handler sets them.
     */
    public Builder listTtl(Duration ttl) {
      this.listTtl = Check.notNegative("listTtl", ttl);
      return this;
    }

    /**
     * Authorization as an OAuth resource server (default none): every request needs a valid bearer
     * token for {@link McpAuth#resource()} with the scopes its operations need, on both revisions;
     * a session is bound to the subject of the token that initialized it. See {@link McpAuth}.
     */
    public Builder auth(McpAuth auth) {
      this.auth = Objects.requireNonNull(auth, "auth");
      return this;
    }

    /** The transport. */
    public McpEndpoint build() {
      return new McpEndpoint(this);
    }
  }
}
