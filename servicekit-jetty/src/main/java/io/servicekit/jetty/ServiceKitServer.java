package io.servicekit.jetty;

import io.servicekit.CloseStatus;
import io.servicekit.WsConn;
import io.servicekit.WsConnConfig;
import io.servicekit.WsHandler;
import io.servicekit.WsSession;
import io.servicekit.jetty.middleware.Middleware;
import io.servicekit.spi.MetricsListener;
import io.servicekit.sse.SseConfig;
import io.servicekit.sse.SseConn;
import io.servicekit.sse.SseHandler;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import org.eclipse.jetty.http.pathmap.PathSpec;
import org.eclipse.jetty.http.pathmap.UriTemplatePathSpec;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.server.handler.ContextHandler;
import org.eclipse.jetty.server.handler.PathMappingsHandler;
import org.eclipse.jetty.util.thread.QueuedThreadPool;
import org.eclipse.jetty.util.thread.VirtualThreadPool;
import org.eclipse.jetty.websocket.server.ServerWebSocketContainer;

/**
 * A Jetty 12 server with ServiceKit routes, on virtual threads: a few lines to a running server.
 *
 * <pre>{@code
 * try (ServiceKitServer server = ServiceKitServer.builder()
 *     .port(8080)
 *     .ws("/echo", request -> new EchoConn())
 *     .ws("/rooms/{room}", request -> new RoomConn(request.pathParam("room").orElseThrow()))
 *     .sse("/events", request -> new JsonSseConn())
 *     .route("/healthz", HealthHandler.INSTANCE)
 *     .build()
 *     .start()) {
 *   server.join();
 * }
 * }</pre>
 *
 * <p>Paths are either URI templates ({@code /rooms/{room}}: parameters reach {@code validate}) or
 * servlet-style specs ({@code /echo} exact, {@code /static/*} prefix, {@code /} default). The
 * longest match wins, as in Jetty's {@link PathMappingsHandler}.
 *
 * <p>Production options: {@link Builder#guard} wraps every route but the listed ones in a
 * middleware chain; {@link Builder#metrics} reports connection metrics by route pattern; {@link
 * GracefulShutdown} stops on SIGTERM/SIGINT, closing WebSockets with 1001 and draining requests.
 */
public final class ServiceKitServer implements AutoCloseable {
  private final Server server;
  private final ServerConnector connector;
  private final ShutdownGate gate = new ShutdownGate();
  private final boolean hostChecked;

  private ServiceKitServer(Builder b) {
    QueuedThreadPool threads = new QueuedThreadPool();
    threads.setName("servicekit");
    threads.setVirtualThreadsExecutor(new VirtualThreadPool());
    server = new Server(threads);
    server.setStopTimeout(b.stopTimeout.toMillis());
    connector =
        b.headerTimeout.isZero()
            ? new ServerConnector(server)
            : HeaderDeadline.connector(server, b.headerTimeout);
    connector.setHost(b.host);
    connector.setPort(b.port);
    connector.setIdleTimeout(b.idleTimeout.toMillis());
    server.addConnector(connector);
    PathMappingsHandler routes = new PathMappingsHandler();
    for (Route r : b.routes) {
      boolean guarded = b.guard != null && !b.unguarded.contains(r.path);
      routes.addMapping(r.spec, guarded ? b.guard.wrap(r.handler) : r.handler);
    }
    if (b.metrics != null) {
      server.addBean(b.metrics);
      for (Route r : b.routes) {
        if (contains(r.handler, WsServe.class)) {
          b.metrics.routeAdded(MetricsListener.Kind.WEBSOCKET, r.spec.getDeclaration());
        } else if (contains(r.handler, SseServe.class)) {
          b.metrics.routeAdded(MetricsListener.Kind.SSE, r.spec.getDeclaration());
        }
      }
    }
    ContextHandler context = new ContextHandler(routes, "/");
    gate.setHandler(context);
    Handler outer = gate;
    boolean hostCheck =
        b.loopbackHostCheck != null
            ? b.loopbackHostCheck
            : LoopbackHostCheck.isLoopbackBind(b.host);
    if (hostCheck) {
      outer = new LoopbackHostCheck(outer, b.extraHosts);
    }
    this.hostChecked = hostCheck;
    server.setHandler(b.headerTimeout.isZero() ? outer : HeaderDeadline.marker(outer));
    ServerWebSocketContainer.ensure(server, context);
  }

  private static boolean contains(Handler handler, Class<? extends Handler> type) {
    return type.isInstance(handler)
        || (handler instanceof Handler.Container c && !c.getDescendants(type).isEmpty());
  }

  public static Builder builder() {
    return new Builder();
  }

  /** Starts the server; returns this. */
  public ServiceKitServer start() throws Exception {
    server.start();
    return this;
  }

  /** The bound port (useful with port 0). */
  public int port() {
    return connector.getLocalPort();
  }

  /** {@code http://host:port} of the running server (localhost when bound to all interfaces). */
  public URI uri() {
    String host = connector.getHost() == null ? "localhost" : connector.getHost();
    return URI.create("http://" + host + ":" + port());
  }

  /** {@code ws://host:port} + {@code path}. */
  public URI wsUri(String path) {
    return URI.create("ws://" + uri().getAuthority() + path);
  }

  /** Blocks until the server stops. */
  public void join() throws InterruptedException {
    server.join();
  }

  /**
   * Stops the server (open connections are closed by Jetty). While it stops, new connections are
   * refused and a request on an already open connection is answered 503 with {@code Connection:
   * close} (or finds that connection closed); requests in flight get up to the {@linkplain
   * Builder#stopTimeout stop timeout}.
   */
  public void stop() throws Exception {
    server.stop();
  }

  @Override
  public void close() throws Exception {
    stop();
  }

  /** The WebSocket connections open now on every {@link WsServe} of this server. */
  public List<WsSession> webSocketSessions() {
    return server.getDescendants(WsServe.class).stream()
        .<WsSession>flatMap(w -> w.sessions().stream())
        .toList();
  }

  /**
   * Closes every open WebSocket connection with {@code status}; the stage completes when all have
   * ended.
   */
  public CompletableFuture<Void> closeWebSockets(CloseStatus status) {
    return closeWebSockets(status, false);
  }

  /** With {@code alsoLater}, connections that open from now on are closed as they open. */
  CompletableFuture<Void> closeWebSockets(CloseStatus status, boolean alsoLater) {
    return CompletableFuture.allOf(
        server.getDescendants(WsServe.class).stream()
            .map(w -> w.closeAll(status, alsoLater))
            .toArray(CompletableFuture[]::new));
  }

  /**
   * Ends every open SSE stream with {@link SseServe#SHUTDOWN_EVENT} and runs every {@link
   * StreamableServe#shutdown} (streams opening from now on end as they open); the stage completes
   * when they have ended.
   */
  CompletableFuture<Void> endStreams() {
    List<CompletableFuture<?>> all = new ArrayList<>();
    for (SseServe sse : server.getDescendants(SseServe.class)) {
      all.add(sse.endAll(SseServe.SHUTDOWN_EVENT, true));
    }
    for (StreamableServe streamable : server.getDescendants(StreamableServe.class)) {
      all.add(streamable.shutdown());
    }
    return CompletableFuture.allOf(all.toArray(CompletableFuture[]::new));
  }

  /** HTTP requests in progress (SSE streams included; upgraded WebSockets are not requests). */
  public int inFlightRequests() {
    return gate.inFlight();
  }

  /**
   * Whether requests are refused unless their {@code Host} is a loopback name ({@link
   * Builder#loopbackHostCheck}).
   */
  public boolean loopbackHostCheck() {
    return hostChecked;
  }

  ShutdownGate gate() {
    return gate;
  }

  /** The underlying Jetty server, for what the builder does not cover. */
  public Server jetty() {
    return server;
  }

  private record Route(String path, PathSpec spec, Handler handler) {}

  /** Builds a {@link ServiceKitServer}. */
  public static final class Builder {
    private String host;
    private int port = 8080;
    private Duration idleTimeout = Duration.ofSeconds(120);
    private Duration stopTimeout = Duration.ofSeconds(30);
    private Duration headerTimeout = Duration.ofSeconds(10);
    private Boolean loopbackHostCheck; // null: on when bound to loopback
    private Set<String> extraHosts = Set.of();
    private final List<Route> routes = new ArrayList<>();
    private Middleware guard;
    private Set<String> unguarded = Set.of();
    private MetricsListener metrics;

    private Builder() {}

    /** Port to listen on; 0 picks a free one. Default 8080. */
    public Builder port(int port) {
      if (port < 0 || port > 65535) {
        throw new IllegalArgumentException("port must be 0-65535: " + port);
      }
      this.port = port;
      return this;
    }

    /**
     * Interface to bind; default all. A loopback address or name ({@code 127.0.0.1}, {@code ::1},
     * {@code localhost}) turns on {@link #loopbackHostCheck} unless it is set explicitly.
     */
    public Builder host(String host) {
      this.host = host;
      return this;
    }

    /** HTTP connection idle timeout (WebSocket connections manage their own). Default 120 s. */
    public Builder idleTimeout(Duration idleTimeout) {
      this.idleTimeout = Objects.requireNonNull(idleTimeout);
      return this;
    }

    /**
     * Longest time from the first byte of an HTTP/1 request to the end of its headers; a client
     * still sending headers then gets 408 {@code request header timeout} and is disconnected (the
     * idle timeout restarts on every byte, so it does not stop a client trickling header lines).
     * Default 10 s; {@link Duration#ZERO} turns the deadline off.
     *
     * @throws IllegalArgumentException for a negative duration
     */
    public Builder headerTimeout(Duration headerTimeout) {
      Objects.requireNonNull(headerTimeout, "headerTimeout");
      if (headerTimeout.isNegative()) {
        throw new IllegalArgumentException(
            "headerTimeout must be positive, or zero to turn it off: " + headerTimeout);
      }
      this.headerTimeout = headerTimeout;
      return this;
    }

    /**
     * DNS rebinding protection: when on, a request whose {@code Host} is not a loopback name
     * ({@code localhost}, {@code 127.0.0.0/8}, {@code [::1]}, any port) nor one of {@link
     * #allowedHosts} is answered 403 {@code Host "..." not allowed (loopbackHostCheck)}, WebSocket
     * upgrades included. Default: on when {@link #host} is a loopback address or name, off
     * otherwise (all interfaces, or a public address: put the check in a proxy or use an origin
     * policy there).
     */
    public Builder loopbackHostCheck(boolean enabled) {
      this.loopbackHostCheck = enabled;
      return this;
    }

    /**
     * Extra {@code Host} names (without port, e.g. {@code myapp.test}) that {@link
     * #loopbackHostCheck} lets through. Replaces any earlier list.
     */
    public Builder allowedHosts(String... hosts) {
      Set<String> set = new java.util.TreeSet<>();
      for (String h : hosts) {
        String v = Objects.requireNonNull(h, "host").strip().toLowerCase(java.util.Locale.ROOT);
        if (v.isEmpty() || v.contains("/") || (v.contains(":") && !v.startsWith("["))) {
          throw new IllegalArgumentException(
              "allowedHosts takes host names without port or scheme, got \"" + h + "\"");
        }
        set.add(v);
      }
      this.extraHosts = Set.copyOf(set);
      return this;
    }

    /** How long {@link #stop()} waits for in-flight requests. Default 30 s. */
    public Builder stopTimeout(Duration stopTimeout) {
      this.stopTimeout = Objects.requireNonNull(stopTimeout);
      return this;
    }

    /** A WebSocket endpoint with the default configuration. */
    public <I, C extends WsConn<I>> Builder ws(String path, WsHandler<I, C> handler) {
      return ws(path, handler, WsConnConfig.defaults());
    }

    /** A WebSocket endpoint. */
    public <I, C extends WsConn<I>> Builder ws(
        String path, WsHandler<I, C> handler, WsConnConfig config) {
      return route(path, WsServe.handler(handler, config));
    }

    /** A Server-Sent Events endpoint with the default configuration. */
    public <C extends SseConn<?>> Builder sse(String path, SseHandler<C> handler) {
      return sse(path, handler, SseConfig.defaults());
    }

    /** A Server-Sent Events endpoint. */
    public <C extends SseConn<?>> Builder sse(
        String path, SseHandler<C> handler, SseConfig config) {
      return route(path, SseServe.handler(handler, config));
    }

    /** Any Jetty handler at {@code path}. */
    public Builder route(String path, Handler handler) {
      routes.add(new Route(path, spec(path), Objects.requireNonNull(handler, "handler")));
      return this;
    }

    /**
     * Wraps every route except {@code exceptPaths} (exactly as given to {@link #route}/{@link #ws},
     * e.g. {@code "/healthz"}) in {@code guard}, typically a {@link
     * io.servicekit.jetty.middleware.Guard}. Routes added before or after this call are wrapped
     * alike.
     */
    public Builder guard(Middleware guard, String... exceptPaths) {
      this.guard = Objects.requireNonNull(guard, "guard");
      this.unguarded = Set.of(exceptPaths);
      return this;
    }

    /**
     * Reports WebSocket handshakes, connections, messages, bytes, close codes and queue sizes to
     * {@code listener}, tagged by route pattern (e.g. {@code
     * io.servicekit.jetty.metrics.MicrometerMetrics}).
     */
    public Builder metrics(MetricsListener listener) {
      this.metrics = Objects.requireNonNull(listener, "listener");
      return this;
    }

    public ServiceKitServer build() {
      return new ServiceKitServer(this);
    }

    private static PathSpec spec(String path) {
      Objects.requireNonNull(path, "path");
      if (!path.startsWith("/")) {
        throw new IllegalArgumentException("path must start with '/': " + path);
      }
      return path.contains("{") ? new UriTemplatePathSpec(path) : PathSpec.from(path);
    }
  }
}
