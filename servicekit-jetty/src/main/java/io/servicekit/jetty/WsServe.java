package io.servicekit.jetty;

import io.servicekit.CloseStatus;
import io.servicekit.Rejection;
import io.servicekit.WsConfig;
import io.servicekit.WsHandler;
import io.servicekit.WsListener;
import io.servicekit.WsSession;
import io.servicekit.internal.RequestSnapshot;
import io.servicekit.spi.MetricsListener;
import io.servicekit.spi.WsDriver;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.eclipse.jetty.http.HttpException;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpMethod;
import org.eclipse.jetty.http.HttpStatus;
import org.eclipse.jetty.http.HttpVersion;
import org.eclipse.jetty.http.pathmap.PathSpec;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.handler.PathMappingsHandler;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.websocket.api.ExtensionConfig;
import org.eclipse.jetty.websocket.server.ServerWebSocketContainer;
import org.eclipse.jetty.websocket.server.WebSocketCreator;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A Jetty {@link Handler} that upgrades requests to WebSocket connections driven by ServiceKit —
 * the Go library's {@code WSServe(handler, config)}. Mount it in any Jetty 12 handler tree; inside
 * a {@code PathMappingsHandler} with a {@code UriTemplatePathSpec} the path parameters reach {@link
 * WsHandler#accept}.
 *
 * <p>Per request, in this order, each refusal being one complete response and nothing upgraded:
 *
 * <ol>
 *   <li>not GET: 405 with {@code Allow: GET};
 *   <li>HTTP/1.0, missing {@code Upgrade: websocket} or {@code Connection: upgrade}: 426 with
 *       {@code Upgrade: websocket} (except that a request with an {@code Upgrade} header but no
 *       {@code upgrade} token in {@code Connection} never gets here: Jetty's HTTP/1.1 layer answers
 *       it with 400, as RFC 6455 §4.2.2 allows);
 *   <li>{@code Sec-WebSocket-Version} other than 13: 426 with {@code Sec-WebSocket-Version: 13};
 *   <li>missing, repeated or malformed {@code Sec-WebSocket-Key} (not the padded base64 of 16
 *       bytes): 400;
 *   <li>origin refused by the {@link io.servicekit.OriginPolicy}: 403 {@code {"error":"origin not
 *       allowed"}};
 *   <li>{@link WsHandler#accept} throws {@link Rejection}: its status, headers and body; any other
 *       exception: 500;
 *   <li>a header Jetty cannot parse during the upgrade (e.g. a {@code Sec-WebSocket-Extensions}
 *       value with an unterminated quote): 400 naming the problem; offered extensions that are
 *       merely unknown are ignored;
 *   <li>upgrade (101), then the connection's lifecycle runs. With {@link WsConfig#compression()}
 *       on, the first permessage-deflate offer the server can honour is accepted and the others are
 *       declined (see {@code DeflateNegotiation}); no other extension is ever accepted.
 * </ol>
 *
 * <p>Open connections are tracked: {@link #sessions()} lists them and {@link #closeAll} closes them
 * (graceful shutdown sends 1001 this way). A middleware learns that the request became a connection
 * through {@link StreamLifetime}. When the server has a {@link MetricsListener} bean ({@code
 * ServiceKitServer.Builder.metrics}), handshake refusals, connections, messages, bytes and close
 * codes are reported to it, tagged with the route pattern.
 */
public final class WsServe extends Handler.Abstract {
  private static final Logger LOG = LoggerFactory.getLogger(WsServe.class);

  private final WsHandler<?, ?> handler;
  private final WsConfig config;
  private volatile @Nullable ServerWebSocketContainer fallbackContainer;
  private volatile MetricsListener metrics = MetricsListener.NOOP;
  private final OpenSet<WsDriver, CloseStatus> open =
      new OpenSet<>((connection, status) -> connection.session().close(status));
  private final Set<String> gaugedRoutes = ConcurrentHashMap.newKeySet();
  private final AtomicInteger compressed = new AtomicInteger();

  private WsServe(WsHandler<?, ?> handler, WsConfig config) {
    super(InvocationType.BLOCKING);
    this.handler = Objects.requireNonNull(handler, "handler");
    this.config = Objects.requireNonNull(config, "config");
  }

  /** A handler for {@code handler} with {@link WsConfig#defaults()}. */
  public static <I, O> WsServe handler(WsHandler<I, O> handler) {
    return new WsServe(handler, WsConfig.defaults());
  }

  /** A handler for {@code handler} with {@code config}. */
  public static <I, O> WsServe handler(WsHandler<I, O> handler, WsConfig config) {
    return new WsServe(handler, config);
  }

  /** The configuration of this endpoint. */
  public WsConfig config() {
    return config;
  }

  @Override
  protected void doStart() throws Exception {
    if (getServer() != null) {
      fallbackContainer = ServerWebSocketContainer.ensure(getServer());
      MetricsListener listener = getServer().getBean(MetricsListener.class);
      if (listener != null) {
        metrics = listener;
      }
    }
    super.doStart();
  }

  /** The connections of this endpoint that are open now (a snapshot). */
  public List<WsSession<?>> sessions() {
    return open.snapshot().stream().<WsSession<?>>map(WsDriver::session).toList();
  }

  /**
   * Closes every open connection of this endpoint with {@code status} (graceful: queued frames are
   * written first). Returns a stage that completes when all of them have ended.
   */
  public CompletableFuture<Void> closeAll(CloseStatus status) {
    return closeAll(status, false);
  }

  /**
   * {@link #closeAll(CloseStatus)}; with {@code alsoLater}, also every connection that opens from
   * now on (an upgrade already in progress during a shutdown opens after the loop below).
   */
  CompletableFuture<Void> closeAll(CloseStatus status, boolean alsoLater) {
    return open.endAll(Objects.requireNonNull(status, "status"), alsoLater);
  }

  @Override
  public boolean handle(Request request, Response response, Callback callback) {
    String route = route(request);
    String refusal = refuse(request, response, callback, route);
    if (refusal != null) {
      metrics.handshakeRejected(route, refusal);
    }
    return true;
  }

  /** Handles the request; returns the refusal reason, or null if it was upgraded. */
  private @Nullable String refuse(
      Request request, Response response, Callback callback, String route) {
    boolean h1 = ServeSupport.isHttp1(request);
    if (!h1) {
      // RFC 8441: over HTTP/2 a WebSocket opens with an extended CONNECT (no Upgrade, no key).
      if (!HttpMethod.CONNECT.is(request.getMethod())) {
        ServeSupport.methodNotAllowed(
            request,
            response,
            callback,
            "WebSocket endpoint over " + request.getConnectionMetaData().getHttpVersion(),
            "CONNECT",
            "CONNECT with :protocol websocket (RFC 8441)");
        return "method";
      }
    } else if (!HttpMethod.GET.is(request.getMethod())) {
      ServeSupport.methodNotAllowed(
          request, response, callback, "WebSocket endpoint", "GET", "GET");
      return "method";
    }
    String problem = upgradeProblem(request);
    if (problem != null) {
      Responses.text(
          response,
          callback,
          HttpStatus.UPGRADE_REQUIRED_426,
          problem,
          Map.of("Upgrade", "websocket", "Connection", "Upgrade"));
      return "upgrade_required";
    }
    String version = request.getHeaders().get(HttpHeader.SEC_WEBSOCKET_VERSION);
    if (!"13".equals(version == null ? null : version.trim())) {
      Responses.text(
          response,
          callback,
          HttpStatus.UPGRADE_REQUIRED_426,
          "Sec-WebSocket-Version must be 13, was " + version,
          Map.of("Sec-WebSocket-Version", "13"));
      return "version";
    }
    List<String> keys = request.getHeaders().getValuesList(HttpHeader.SEC_WEBSOCKET_KEY);
    if (h1 && (keys.size() != 1 || !isValidKey(keys.get(0)))) {
      Responses.text(
          response,
          callback,
          HttpStatus.BAD_REQUEST_400,
          "Sec-WebSocket-Key must be one base64-encoded 16-byte value",
          Map.of());
      return "bad_key";
    }

    RequestSnapshot handshake = JettyRequest.of(request);
    if (!config.originPolicy().check(handshake)) {
      LOG.debug("origin refused: {}", handshake.origin().orElse(""));
      Responses.json(
          response, callback, HttpStatus.FORBIDDEN_403, "{\"error\":\"origin not allowed\"}");
      return "origin";
    }

    WsListener<?, ?> conn;
    try {
      conn = handler.accept(handshake);
    } catch (Rejection rejection) {
      ServeSupport.reject(response, callback, rejection);
      return "rejected";
    } catch (RuntimeException e) {
      LOG.error("accept failed for {}", handshake, e);
      return internalError(response, callback);
    }
    if (conn == null) {
      LOG.error("accept returned null for {}", handshake);
      return internalError(response, callback);
    }

    AtomicReference<WsDriver> created = new AtomicReference<>();
    CompletableFuture<Void> ended = new CompletableFuture<>();
    ServerWebSocketContainer container = ServerWebSocketContainer.get(request.getContext());
    if (container == null) {
      container = fallbackContainer;
    }
    if (container == null) {
      throw new IllegalStateException(
          "no WebSocket container: call ServerWebSocketContainer.ensure(server, context)");
    }
    WsListener<?, ?> accepted = conn;
    WebSocketCreator creator =
        (upgradeRequest, upgradeResponse, upgradeCallback) -> {
          String chosen = chooseSubprotocol(handshake.subprotocols());
          if (chosen != null) {
            upgradeResponse.setAcceptedSubProtocol(chosen);
          }
          upgradeResponse.setExtensions(extensions(upgradeRequest.getExtensions(), ended));
          WsDriver connection = WsDriver.create(accepted, config, handshake, chosen);
          created.set(connection);
          track(connection, route, ended);
          StreamLifetime.becameLongLived(request, ended);
          return new JettyTransport(connection, config, observer(route), open::endIfEnding);
        };
    Callback upgradeCallback =
        new Callback.Nested(callback) {
          @Override
          public void failed(Throwable x) {
            forget(created.get(), ended);
            super.failed(x);
          }
        };
    int status = HttpStatus.BAD_REQUEST_400;
    String failure = "WebSocket upgrade failed";
    try {
      if (container.upgrade(creator, request, response, upgradeCallback)) {
        return null;
      }
    } catch (Exception e) {
      LOG.debug("upgrade failed for {}", handshake, e);
      // Jetty refuses a header it cannot parse (e.g. Sec-WebSocket-Extensions) with a 4xx whose
      // cause names the problem: pass both on.
      if (e instanceof HttpException http && HttpStatus.isClientError(http.getCode())) {
        status = http.getCode();
        failure += ": " + http.getReason();
        if (e.getCause() instanceof IllegalArgumentException bad && bad.getMessage() != null) {
          failure += ": " + bad.getMessage();
        }
      }
    }
    forget(created.get(), ended);
    if (!response.isCommitted()) {
      Responses.text(response, callback, status, failure, Map.of());
    }
    return "upgrade_failed";
  }

  /** The extensions answered: permessage-deflate when on and acceptable, nothing else. */
  private List<ExtensionConfig> extensions(
      List<ExtensionConfig> offered, CompletableFuture<Void> ended) {
    if (!config.compression() || offered.isEmpty()) {
      return List.of();
    }
    StringBuilder why = new StringBuilder();
    ExtensionConfig answer = DeflateNegotiation.answer(offered, config, why);
    if (answer == null) {
      if (!why.isEmpty()) {
        LOG.debug("permessage-deflate declined: {}", why);
      }
      return List.of();
    }
    if (compressed.incrementAndGet() > config.maxCompressedConnections()) {
      compressed.decrementAndGet();
      LOG.debug(
          "permessage-deflate declined: maxCompressedConnections {} reached",
          config.maxCompressedConnections());
      return List.of();
    }
    // Counted until the connection ends, or until the upgrade fails (forget completes it too).
    ended.whenComplete((v, x) -> compressed.decrementAndGet());
    return List.of(answer);
  }

  /** Connections of this endpoint that negotiated permessage-deflate and have not ended. */
  int compressedConnections() {
    return compressed.get();
  }

  private void track(WsDriver connection, String route, CompletableFuture<Void> ended) {
    open.add(connection, route, connection.session().closeFuture())
        .whenComplete((v, x) -> ended.complete(null));
    if (gaugedRoutes.add(route)) {
      metrics.queuedBytes(
          MetricsListener.Kind.WEBSOCKET,
          route,
          () -> open.sum(route, c -> c.session().queuedBytes()));
    }
  }

  /** The upgrade did not happen after the connection object was made: it will never open. */
  private void forget(@Nullable WsDriver connection, CompletableFuture<Void> ended) {
    if (connection != null) {
      open.remove(connection);
    }
    ended.complete(null);
  }

  private JettyTransport.Observer observer(String route) {
    MetricsListener m = metrics;
    if (m == MetricsListener.NOOP) {
      return JettyTransport.Observer.NONE;
    }
    return new MetricsObserver(m, route);
  }

  /**
   * The route pattern this request matched ({@code /rooms/{room}}), for metrics tags; never the raw
   * path.
   */
  private static String route(Request request) {
    if (request.getAttribute(PathMappingsHandler.PATHSPEC_ATTR) instanceof PathSpec spec) {
      return spec.getDeclaration();
    }
    return "unmapped";
  }

  private @Nullable String chooseSubprotocol(List<String> offered) {
    for (String mine : config.subprotocols()) {
      if (offered.contains(mine)) {
        return mine;
      }
    }
    return null;
  }

  private static @Nullable String upgradeProblem(Request request) {
    if (request.getConnectionMetaData().getHttpVersion() == HttpVersion.HTTP_1_0) {
      return "WebSocket needs HTTP/1.1";
    }
    if (request.getConnectionMetaData().getHttpVersion() != HttpVersion.HTTP_1_1) {
      return null; // HTTP/2 (RFC 8441) is checked by Jetty
    }
    if (!ServeSupport.hasToken(request, HttpHeader.UPGRADE, "websocket")) {
      return "this endpoint speaks WebSocket: send Upgrade: websocket";
    }
    return ServeSupport.hasToken(request, HttpHeader.CONNECTION, "upgrade")
        ? null
        : "Connection header must contain the Upgrade token";
  }

  /** The details stay in the log; the client learns only that it was not its fault. */
  private static String internalError(Response response, Callback callback) {
    ServeSupport.internalError(response, callback);
    return "error";
  }

  /**
   * RFC 6455 §4.1: the key is the base64 (RFC 4648 §4, padded) of 16 bytes, so exactly 22
   * characters followed by {@code ==}. Java's decoder alone would also accept the unpadded form.
   */
  private static boolean isValidKey(String key) {
    String k = key.trim();
    if (k.length() != 24 || !k.endsWith("==")) {
      return false;
    }
    try {
      return Base64.getDecoder().decode(k).length == 16;
    } catch (IllegalArgumentException e) {
      return false;
    }
  }
}
