package io.servicekit.jetty;

import io.servicekit.CloseStatus;
import io.servicekit.WsConfig;
import io.servicekit.WsHandler;
import io.servicekit.WsSession;
import io.servicekit.jetty.middleware.Middleware;
import io.servicekit.spi.MetricsListener;
import io.servicekit.sse.SseConfig;
import io.servicekit.sse.SseHandler;
import java.net.URI;
import java.security.KeyStore;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import org.eclipse.jetty.alpn.server.ALPNServerConnectionFactory;
import org.eclipse.jetty.http.pathmap.PathSpec;
import org.eclipse.jetty.http.pathmap.UriTemplatePathSpec;
import org.eclipse.jetty.http2.HTTP2Cipher;
import org.eclipse.jetty.http2.server.HTTP2CServerConnectionFactory;
import org.eclipse.jetty.http2.server.HTTP2ServerConnectionFactory;
import org.eclipse.jetty.server.ConnectionFactory;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.SecureRequestCustomizer;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.server.SslConnectionFactory;
import org.eclipse.jetty.server.handler.ContextHandler;
import org.eclipse.jetty.server.handler.PathMappingsHandler;
import org.eclipse.jetty.util.ssl.SslContextFactory;
import org.eclipse.jetty.util.thread.QueuedThreadPool;
import org.eclipse.jetty.util.thread.VirtualThreadPool;
import org.eclipse.jetty.websocket.server.ServerWebSocketContainer;
import org.jspecify.annotations.Nullable;

/**
 * A Jetty 12 server with ServiceKit routes, on virtual threads: a few lines to a running server.
 *
 * <pre>{@code
 * try (ServiceKitServer server = ServiceKitServer.builder()
 *     .port(8080)
 *     .ws("/echo", request -> new EchoConn())
 *     .ws("/rooms/{room}", request -> new RoomConn(request.pathParam("room").orElseThrow()))
 *     .sse("/events", request -> SseListener.json())
 *     .route("/healthz", HealthHandler.INSTANCE)
 *     .build()
 *     .start()) {
 *   server.join();
 * }
 * }</pre>
 *
 * <p>Paths are either URI templates ({@code /rooms/{room}}: parameters reach the handler) or
 * servlet-style specs ({@code /echo} exact, {@code /static/*} prefix, {@code /} default). The
 * longest match wins, as in Jetty's {@link PathMappingsHandler}.
 *
 * <p>Production options: {@link Builder#guard} wraps every route but the listed ones in a
 * middleware chain; {@link Builder#metrics} reports connection metrics by route pattern; {@link
 * GracefulShutdown} stops on SIGTERM/SIGINT, closing WebSockets with 1001 and draining requests.
 */
public final class ServiceKitServer implements AutoCloseable {
  private final Server server;
  private final @Nullable ServerConnector connector; // null with plainHttp(false)
  private final @Nullable ServerConnector tlsConnector; // null without tls(...)
  private final @Nullable TlsReloader tlsReloader; // null without tls(...)
  private final ShutdownGate gate = new ShutdownGate();
  private final boolean hostChecked;

  private ServiceKitServer(Builder b) {
    if (!b.plainHttp && b.tls == null) {
      throw new IllegalStateException(
          "plainHttp(false) needs tls(...): the server would have no connector");
    }
    // Read and check the certificate first: a bad file fails here, naming itself.
    KeyStore keyStore = b.tls == null ? null : b.tls.load();
    QueuedThreadPool threads = new QueuedThreadPool();
    threads.setName("servicekit");
    threads.setVirtualThreadsExecutor(new VirtualThreadPool());
    server = new Server(threads);
    server.setStopTimeout(b.stopTimeout.toMillis());
    HttpConfiguration http = new HttpConfiguration();
    if (b.tls != null) {
      http.setSecureScheme("https");
      http.setSecurePort(b.tlsPort);
    }
    if (b.plainHttp) {
      List<ConnectionFactory> factories = new ArrayList<>();
      factories.add(new HttpConnectionFactory(http));
      if (b.h2c) {
        HTTP2CServerConnectionFactory h2c = new HTTP2CServerConnectionFactory(http);
        h2c.setConnectProtocolEnabled(true); // RFC 8441: WebSocket over HTTP/2
        factories.add(h2c);
      }
      connector = newConnector(b, b.port, null, factories.toArray(ConnectionFactory[]::new));
      server.addConnector(connector);
    } else {
      connector = null;
    }
    if (b.tls != null) {
      SslContextFactory.Server ssl = new SslContextFactory.Server();
      ssl.setKeyStore(keyStore);
      ssl.setKeyManagerPassword(b.tls.keyPassword());
      ssl.setIncludeProtocols("TLSv1.3", "TLSv1.2");
      ssl.setSniRequired(false);
      if (b.http2) {
        ssl.setCipherComparator(HTTP2Cipher.COMPARATOR);
      }
      HttpConfiguration https = new HttpConfiguration(http);
      https.addCustomizer(new SecureRequestCustomizer());
      HttpConnectionFactory h1 = new HttpConnectionFactory(https);
      SslConnectionFactory tls;
      ConnectionFactory[] after;
      if (b.http2) {
        HTTP2ServerConnectionFactory h2 = new HTTP2ServerConnectionFactory(https);
        h2.setConnectProtocolEnabled(true); // RFC 8441: WebSocket over HTTP/2
        ALPNServerConnectionFactory alpn = new ALPNServerConnectionFactory("h2", "http/1.1");
        alpn.setDefaultProtocol(h1.getProtocol());
        tls = sslFactory(b, ssl, alpn.getProtocol());
        after = new ConnectionFactory[] {tls, alpn, h2, h1};
      } else {
        tls = sslFactory(b, ssl, h1.getProtocol());
        after = new ConnectionFactory[] {tls, h1};
      }
      tlsConnector = newConnector(b, b.tlsPort, "tls", after);
      server.addConnector(tlsConnector);
      byte[] fingerprint;
      try {
        fingerprint = b.tls.fingerprint();
      } catch (java.io.IOException e) {
        throw new IllegalArgumentException("TLS files " + b.tls.files() + ": " + e, e);
      }
      tlsReloader = new TlsReloader(b.tls, ssl, fingerprint);
      server.addBean(tlsReloader, true);
    } else {
      tlsConnector = null;
      tlsReloader = null;
    }
    PathMappingsHandler routes = new PathMappingsHandler();
    for (Route r : b.routes) {
      Middleware guard = b.guard;
      routes.addMapping(
          r.spec,
          guard != null && !b.unguarded.contains(r.path) ? guard.wrap(r.handler) : r.handler);
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

  private ServerConnector newConnector(
      Builder b, int port, @Nullable String name, ConnectionFactory... factories) {
    ServerConnector c =
        b.headerTimeout.isZero()
            ? new ServerConnector(server, factories)
            : HeaderDeadline.connector(server, b.headerTimeout, factories);
    c.setHost(b.host);
    c.setPort(port);
    c.setIdleTimeout(b.idleTimeout.toMillis());
    if (name != null) {
      c.setName(name);
    }
    return c;
  }

  private static SslConnectionFactory sslFactory(
      Builder b, SslContextFactory.Server ssl, String next) {
    return b.headerTimeout.isZero()
        ? new SslConnectionFactory(ssl, next)
        : HeaderDeadline.sslFactory(ssl, next, b.headerTimeout);
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

  /**
   * The bound port of the plain HTTP connector (useful with port 0).
   *
   * @throws IllegalStateException with {@link Builder#plainHttp plainHttp(false)}
   */
  public int port() {
    if (connector == null) {
      throw new IllegalStateException("no plain HTTP connector (plainHttp(false)): use tlsPort()");
    }
    return connector.getLocalPort();
  }

  /** {@code http://host:port} of the running server (localhost when bound to all interfaces). */
  public URI uri() {
    return URI.create(
        "http://" + authority(connector == null ? null : connector.getHost(), port()));
  }

  /** {@code ws://host:port} + {@code path}. */
  public URI wsUri(String path) {
    return URI.create("ws://" + uri().getAuthority() + path);
  }

  /**
   * The bound port of the TLS connector (useful with {@link Builder#tlsPort tlsPort(0)}).
   *
   * @throws IllegalStateException without {@link Builder#tls}
   */
  public int tlsPort() {
    if (tlsConnector == null) {
      throw new IllegalStateException("no TLS connector: configure Builder.tls(...)");
    }
    return tlsConnector.getLocalPort();
  }

  /** {@code https://host:port} of the TLS connector (localhost when bound to all interfaces). */
  public URI tlsUri() {
    return URI.create(
        "https://" + authority(tlsConnector == null ? null : tlsConnector.getHost(), tlsPort()));
  }

  /** {@code wss://host:port} + {@code path}. */
  public URI wssUri(String path) {
    return URI.create("wss://" + tlsUri().getAuthority() + path);
  }

  private static String authority(@Nullable String host, int port) {
    String h =
        host == null
            ? "localhost"
            : host.contains(":") && !host.startsWith("[") ? "[" + host + "]" : host;
    return h + ":" + port;
  }

  /**
   * Reads the TLS files now and, if they load, uses the certificate for new connections (open ones
   * keep theirs); they are also {@linkplain TlsConfig#reloadInterval watched}. Returns whether the
   * files had changed since they were last loaded (they are loaded either way).
   *
   * @throws IllegalArgumentException naming the file and the problem (the old certificate stays)
   * @throws IllegalStateException without {@link Builder#tls}
   */
  public boolean reloadTls() {
    if (tlsReloader == null) {
      throw new IllegalStateException("no TLS connector: configure Builder.tls(...)");
    }
    return tlsReloader.reload(true);
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
  public List<WsSession<?>> webSocketSessions() {
    return server.getDescendants(WsServe.class).stream()
        .<WsSession<?>>flatMap(w -> w.sessions().stream())
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
    private @Nullable String host;
    private int port = 8080;
    private Duration idleTimeout = Duration.ofSeconds(120);
    private Duration stopTimeout = Duration.ofSeconds(30);
    private Duration headerTimeout = Duration.ofSeconds(10);
    private @Nullable Boolean loopbackHostCheck; // null: on when bound to loopback
    private Set<String> extraHosts = Set.of();
    private final List<Route> routes = new ArrayList<>();
    private @Nullable Middleware guard;
    private Set<String> unguarded = Set.of();
    private @Nullable MetricsListener metrics;
    private @Nullable TlsConfig tls;
    private int tlsPort = 8443;
    private boolean plainHttp = true;
    private boolean http2 = true;
    private boolean h2c;

    private Builder() {}

    /**
     * Serves HTTPS and WSS on {@link #tlsPort} with the certificate of {@code config}, beside the
     * plain connector (see {@link #plainHttp}). TLS 1.3 and 1.2 only; HTTP/2 through ALPN unless
     * {@link #http2 http2(false)}.
     */
    public Builder tls(TlsConfig config) {
      this.tls = Objects.requireNonNull(config, "config");
      return this;
    }

    /** Port of the TLS connector; 0 picks a free one. Default 8443. */
    public Builder tlsPort(int port) {
      if (port < 0 || port > 65535) {
        throw new IllegalArgumentException("tlsPort must be 0-65535: " + port);
      }
      this.tlsPort = port;
      return this;
    }

    /**
     * Whether the plain HTTP connector on {@link #port} is served. Default true; false (allowed
     * only with {@link #tls}) serves TLS alone, so that nothing can reach the routes unencrypted.
     */
    public Builder plainHttp(boolean enabled) {
      this.plainHttp = enabled;
      return this;
    }

    /**
     * HTTP/2 on the TLS connector, chosen through ALPN ({@code h2}, else {@code http/1.1}), with
     * WebSocket over HTTP/2 (RFC 8441). Default true.
     */
    public Builder http2(boolean enabled) {
      this.http2 = enabled;
      return this;
    }

    /**
     * Cleartext HTTP/2 on the plain connector: prior knowledge (the client starts with the HTTP/2
     * preface) and {@code Upgrade: h2c}; WebSocket over it (RFC 8441). HTTP/1.1 clients are not
     * affected. Default false: the JDK's HttpClient (default version HTTP/2) asks every plain-HTTP
     * server for an h2c upgrade, so turning it on moves existing Java clients onto HTTP/2; turn it
     * on for a proxy or client that speaks h2c (RFC 8441 over cleartext needs it).
     */
    public Builder h2c(boolean enabled) {
      this.h2c = enabled;
      return this;
    }

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
    public <I, O> Builder ws(String path, WsHandler<I, O> handler) {
      return ws(path, handler, WsConfig.defaults());
    }

    /** A WebSocket endpoint. */
    public <I, O> Builder ws(String path, WsHandler<I, O> handler, WsConfig config) {
      return route(path, WsServe.handler(handler, config));
    }

    /** A Server-Sent Events endpoint with the default configuration. */
    public <O> Builder sse(String path, SseHandler<O> handler) {
      return sse(path, handler, SseConfig.defaults());
    }

    /** A Server-Sent Events endpoint. */
    public <O> Builder sse(String path, SseHandler<O> handler, SseConfig config) {
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
