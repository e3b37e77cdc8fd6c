package io.servicekit.netty.internal;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.DecoderResult;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.TooLongHttpHeaderException;
import io.netty.handler.codec.http.TooLongHttpLineException;
import io.netty.handler.codec.http.websocketx.Utf8FrameValidator;
import io.netty.handler.codec.http.websocketx.WebSocket13FrameDecoder;
import io.netty.handler.codec.http.websocketx.WebSocket13FrameEncoder;
import io.netty.handler.codec.http.websocketx.WebSocketDecoderConfig;
import io.netty.handler.codec.http.websocketx.WebSocketFrameAggregator;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.ScheduledFuture;
import io.servicekit.CloseStatus;
import io.servicekit.Rejection;
import io.servicekit.WsConfig;
import io.servicekit.WsListener;
import io.servicekit.internal.RequestSnapshot;
import io.servicekit.spi.SseDriver;
import io.servicekit.spi.WsDriver;
import io.servicekit.sse.SseConfig;
import io.servicekit.sse.SseListener;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The HTTP/1.1 phase of a connection. A request for an SSE route goes to {@code handleSse} (a
 * stream written through a {@link NettySseTransport}); for a WebSocket route it checks the upgrade
 * request, asks the route's {@code WsHandler.accept} (on a virtual thread: it may block) and either
 * answers with one complete refusal or writes the 101 and turns the pipeline into a WebSocket one
 * ending in a {@link NettyTransport}. In order, as {@code WsServe} in the Jetty binding:
 *
 * <ol>
 *   <li>a request Netty could not parse: 400 (431 headers too large, 414 line too long), closed;
 *   <li>the server is stopping: 503 {@code server shutting down}, closed;
 *   <li>no route for the path: 404;
 *   <li>not GET: 405 with {@code Allow: GET};
 *   <li>HTTP/1.0, no {@code Upgrade: websocket} or no {@code upgrade} token in {@code Connection}:
 *       426 with {@code Upgrade: websocket};
 *   <li>{@code Sec-WebSocket-Version} other than 13: 426 with {@code Sec-WebSocket-Version: 13};
 *   <li>missing, repeated or malformed {@code Sec-WebSocket-Key}: 400;
 *   <li>origin refused by the {@link io.servicekit.OriginPolicy}: 403 {@code {"error":"origin not
 *       allowed"}};
 *   <li>{@code accept} throws {@link Rejection}: its status, headers and body; any other exception
 *       or a null listener: 500;
 *   <li>101, the first subprotocol of {@link WsConfig#subprotocols()} that the client offered; no
 *       extension is ever accepted.
 * </ol>
 *
 * Refusals keep an HTTP/1.1 keep-alive connection open for the next request.
 */
public final class UpgradeHandler extends ChannelInboundHandlerAdapter {
  private static final Logger LOG = LoggerFactory.getLogger(UpgradeHandler.class);
  private static final String ACCEPT_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

  /** What the server offers the upgrade path: its routes and its set of open connections. */
  public interface Host {
    /** The routes. */
    Routes routes();

    /** Whether the server stops (new upgrades are refused with 503). */
    boolean stopping();

    /** A connection is about to open; the host keeps it until {@code transport}'s end. */
    void opening(NettyTransport transport);

    /** The connection ended (or never opened). */
    void ended(NettyTransport transport);

    /** An SSE stream is about to open; the host keeps it until it ends. */
    void sseOpening(SseDriver driver);

    /** Ends an SSE stream that opened while the server stops, as the stop ends the others. */
    void endSse(SseDriver driver);

    /**
     * Longest wait for a complete request on an HTTP connection, from its opening or from the
     * previous response.
     */
    Duration requestTimeout();
  }

  private final Host host;
  private @Nullable ScheduledFuture<?> requestDeadline; // event loop only
  private boolean deciding; // event loop only: accept runs, or an SSE stream is open, for a request

  /** The upgrade handler of one connection. */
  public UpgradeHandler(Host host) {
    this.host = host;
  }

  @Override
  public void channelActive(ChannelHandlerContext ctx) {
    armDeadline(ctx);
    ctx.fireChannelActive();
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) {
    cancelDeadline();
    ctx.fireChannelInactive();
  }

  /** A connection that completes no request in time is closed (a slow or idle client). */
  private void armDeadline(ChannelHandlerContext ctx) {
    cancelDeadline();
    Duration timeout = host.requestTimeout();
    requestDeadline =
        ctx.executor()
            .schedule(
                () -> {
                  LOG.debug("no complete request within {}: closing", timeout);
                  ctx.close();
                },
                timeout.toNanos(),
                TimeUnit.NANOSECONDS);
  }

  private void cancelDeadline() {
    ScheduledFuture<?> d = requestDeadline;
    if (d != null) {
      d.cancel(false);
      requestDeadline = null;
    }
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (!(msg instanceof FullHttpRequest request)) {
      ReferenceCountUtil.release(msg);
      return;
    }
    cancelDeadline();
    if (deciding) {
      // pipelined behind an upgrade request (the codec had decoded it already): a client must
      // wait for the upgrade's answer, so this one is broken
      request.release();
      LOG.debug("request pipelined behind an upgrade request or an open SSE stream: closing");
      ctx.close();
      return;
    }
    try {
      handle(ctx, request);
    } finally {
      request.release();
    }
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    LOG.debug("HTTP connection failed", cause);
    ctx.close();
  }

  private void handle(ChannelHandlerContext ctx, FullHttpRequest request) {
    DecoderResult result = request.decoderResult();
    if (result.isFailure()) {
      Throwable cause = result.cause();
      HttpResponseStatus status =
          cause instanceof TooLongHttpHeaderException
              ? HttpResponseStatus.REQUEST_HEADER_FIELDS_TOO_LARGE
              : cause instanceof TooLongHttpLineException
                  ? HttpResponseStatus.REQUEST_URI_TOO_LONG
                  : HttpResponseStatus.BAD_REQUEST;
      text(ctx, false, status, "bad request: " + cause.getMessage(), Map.of());
      return;
    }
    boolean keepAlive = HttpUtil.isKeepAlive(request);
    if (host.stopping()) {
      text(ctx, false, HttpResponseStatus.SERVICE_UNAVAILABLE, "server shutting down", Map.of());
      return;
    }
    String rawPath;
    Routes.Match match;
    try {
      rawPath = rawPath(request.uri());
      match = host.routes().match(rawPath);
    } catch (IllegalArgumentException e) {
      text(ctx, keepAlive, HttpResponseStatus.BAD_REQUEST, "bad path: " + e.getMessage(), Map.of());
      return;
    }
    if (match == null) {
      text(ctx, keepAlive, HttpResponseStatus.NOT_FOUND, "no endpoint at this path", Map.of());
      return;
    }
    if (match.endpoint().kind() instanceof Routes.Sse sse) {
      handleSse(ctx, request, rawPath, match, sse, keepAlive);
      return;
    }
    if (!HttpMethod.GET.equals(request.method())) {
      text(
          ctx,
          keepAlive,
          HttpResponseStatus.METHOD_NOT_ALLOWED,
          "WebSocket endpoint: method must be GET, was " + request.method(),
          Map.of("Allow", "GET"));
      return;
    }
    String problem = upgradeProblem(request);
    if (problem != null) {
      text(
          ctx,
          keepAlive,
          HttpResponseStatus.UPGRADE_REQUIRED,
          problem,
          Map.of("Upgrade", "websocket", "Connection", "Upgrade"));
      return;
    }
    String version = request.headers().get(HttpHeaderNames.SEC_WEBSOCKET_VERSION);
    if (!"13".equals(version == null ? null : version.trim())) {
      text(
          ctx,
          keepAlive,
          HttpResponseStatus.UPGRADE_REQUIRED,
          "Sec-WebSocket-Version must be 13, was " + version,
          Map.of("Sec-WebSocket-Version", "13"));
      return;
    }
    List<String> keys = request.headers().getAll(HttpHeaderNames.SEC_WEBSOCKET_KEY);
    if (keys.size() != 1 || !isValidKey(keys.get(0))) {
      text(
          ctx,
          keepAlive,
          HttpResponseStatus.BAD_REQUEST,
          "Sec-WebSocket-Key must be one base64-encoded 16-byte value",
          Map.of());
      return;
    }
    RequestSnapshot handshake;
    try {
      handshake =
          NettyRequest.of(request, rawPath, match.pathParams(), ctx.channel().remoteAddress());
    } catch (IllegalArgumentException e) {
      text(
          ctx, keepAlive, HttpResponseStatus.BAD_REQUEST, "bad query: " + e.getMessage(), Map.of());
      return;
    }
    Routes.Ws endpoint = (Routes.Ws) match.endpoint().kind();
    WsConfig config = endpoint.config();
    if (!config.originPolicy().check(handshake)) {
      LOG.debug("origin refused: {}", handshake.origin().orElse(""));
      send(
          ctx,
          keepAlive,
          HttpResponseStatus.FORBIDDEN,
          "application/json",
          "{\"error\":\"origin not allowed\"}\n",
          Map.of());
      return;
    }
    String key = keys.get(0).trim();
    // Nothing more is read while the handler decides; accept may block, so it runs off the loop.
    ctx.channel().config().setAutoRead(false);
    deciding = true;
    config
        .scheduler()
        .execute(
            "servicekit-accept",
            () -> {
              Object outcome;
              try {
                WsListener<?, ?> listener = endpoint.handler().accept(handshake);
                outcome =
                    listener == null ? new NullPointerException("accept returned null") : listener;
              } catch (Rejection rejection) {
                outcome = rejection;
              } catch (RuntimeException e) {
                outcome = e;
              }
              Object decided = outcome;
              ctx.executor()
                  .execute(() -> decided(ctx, endpoint, handshake, key, keepAlive, decided));
            });
  }

  /**
   * An SSE route, in the order of the Jetty binding's {@code SseServe}: not GET 405, then on a
   * virtual thread the {@code Last-Event-ID} rules (400), {@code accept} (a {@link Rejection}: its
   * response; another exception or null: 500) and the driver, which runs {@code onOpen} and writes
   * the stream through a {@link NettySseTransport}. The connection keeps reading while the stream
   * is open, so a client that goes away is seen; a request sent meanwhile closes it.
   */
  private void handleSse(
      ChannelHandlerContext ctx,
      FullHttpRequest request,
      String rawPath,
      Routes.Match match,
      Routes.Sse endpoint,
      boolean keepAlive) {
    if (!HttpMethod.GET.equals(request.method())) {
      text(
          ctx,
          keepAlive,
          HttpResponseStatus.METHOD_NOT_ALLOWED,
          "SSE endpoint: method must be GET, was " + request.method(),
          Map.of("Allow", "GET"));
      return;
    }
    RequestSnapshot handshake;
    try {
      handshake =
          NettyRequest.of(request, rawPath, match.pathParams(), ctx.channel().remoteAddress());
    } catch (IllegalArgumentException e) {
      text(
          ctx, keepAlive, HttpResponseStatus.BAD_REQUEST, "bad query: " + e.getMessage(), Map.of());
      return;
    }
    boolean http10 = request.protocolVersion().equals(HttpVersion.HTTP_1_0);
    SseConfig config = endpoint.config();
    deciding = true;
    config
        .scheduler()
        .execute(
            "servicekit-sse-accept",
            () -> {
              SseDriver driver;
              try {
                String lastEventId = SseDriver.lastEventId(handshake, config);
                SseListener<?> listener = endpoint.handler().accept(handshake);
                if (listener == null) {
                  throw new IllegalStateException("accept returned null");
                }
                driver = SseDriver.create(listener, config, handshake, lastEventId);
              } catch (Rejection rejection) {
                LOG.debug("SSE request refused: {}", rejection.getMessage());
                ctx.executor()
                    .execute(
                        () ->
                            streamOver(
                                ctx,
                                keepAlive,
                                rejection.status(),
                                rejection.body(),
                                rejection.headers()));
                return;
              } catch (RuntimeException e) {
                LOG.error("SSE accept failed for {}", handshake, e);
                ctx.executor()
                    .execute(
                        () -> streamOver(ctx, keepAlive, 500, "internal server error", Map.of()));
                return;
              }
              NettySseTransport transport =
                  new NettySseTransport(
                      ctx.channel(),
                      http10,
                      keepAlive,
                      new NettySseTransport.Owner() {
                        @Override
                        public void rejectStream(
                            int status, String body, Map<String, String> headers) {
                          streamOver(ctx, keepAlive, status, body, headers);
                        }

                        @Override
                        public void streamEnded(boolean reuse) {
                          deciding = false;
                          if (!reuse) {
                            ctx.close();
                          } else if (ctx.channel().isActive()) {
                            armDeadline(ctx);
                          }
                        }
                      });
              host.sseOpening(driver);
              driver.open(transport);
              transport.watch(driver::onTransportFailure);
              if (host.stopping()) {
                host.endSse(driver);
              }
            });
  }

  /** On the event loop: the SSE request is answered with a plain response, not a stream. */
  private void streamOver(
      ChannelHandlerContext ctx,
      boolean keepAlive,
      int status,
      String body,
      Map<String, String> headers) {
    deciding = false;
    if (!ctx.channel().isActive()) {
      return;
    }
    if (status == 204) {
      FullHttpResponse response =
          new DefaultFullHttpResponse(
              HttpVersion.HTTP_1_1, HttpResponseStatus.NO_CONTENT, Unpooled.EMPTY_BUFFER);
      headers.forEach((k, v) -> response.headers().set(k, v));
      finish(ctx, keepAlive, response);
      return;
    }
    text(ctx, keepAlive, HttpResponseStatus.valueOf(status), body, headers);
  }

  private void decided(
      ChannelHandlerContext ctx,
      Routes.Ws endpoint,
      RequestSnapshot request,
      String key,
      boolean keepAlive,
      Object outcome) {
    deciding = false;
    Channel channel = ctx.channel();
    if (!channel.isActive()) {
      return; // the client left while the handler decided
    }
    switch (outcome) {
      case Rejection rejection -> {
        reject(ctx, keepAlive, rejection);
        channel.config().setAutoRead(keepAlive);
      }
      case WsListener<?, ?> listener -> upgrade(ctx, endpoint, request, key, listener);
      case Throwable error -> {
        LOG.error("accept failed for {}", request, error);
        text(
            ctx,
            keepAlive,
            HttpResponseStatus.INTERNAL_SERVER_ERROR,
            "internal server error",
            Map.of());
        channel.config().setAutoRead(keepAlive);
      }
      default -> throw new IllegalStateException("unexpected outcome " + outcome);
    }
  }

  private void upgrade(
      ChannelHandlerContext ctx,
      Routes.Ws endpoint,
      RequestSnapshot request,
      String key,
      WsListener<?, ?> listener) {
    WsConfig config = endpoint.config();
    String chosen = chooseSubprotocol(config.subprotocols(), request.subprotocols());
    FullHttpResponse response =
        new DefaultFullHttpResponse(
            HttpVersion.HTTP_1_1, HttpResponseStatus.SWITCHING_PROTOCOLS, Unpooled.EMPTY_BUFFER);
    response.headers().set(HttpHeaderNames.UPGRADE, HttpHeaderValues.WEBSOCKET);
    response.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.UPGRADE);
    response.headers().set(HttpHeaderNames.SEC_WEBSOCKET_ACCEPT, acceptFor(key));
    if (chosen != null) {
      response.headers().set(HttpHeaderNames.SEC_WEBSOCKET_PROTOCOL, chosen);
    }
    WsDriver driver = WsDriver.create(listener, config, request, chosen);
    NettyTransport transport = new NettyTransport(ctx.channel(), driver, config, host::ended);
    // On the event loop the response is encoded by HttpServerCodec right here, so the codec can
    // be swapped for the WebSocket ones before the write completes.
    ChannelFuture written = ctx.writeAndFlush(response);
    int max = (int) Math.min(config.maxMessageSize(), Integer.MAX_VALUE);
    WebSocketDecoderConfig decoder =
        WebSocketDecoderConfig.newBuilder()
            .maxFramePayloadLength(max)
            .expectMaskedFrames(true)
            .allowMaskMismatch(false)
            .allowExtensions(false)
            .closeOnProtocolViolation(false) // NettyTransport closes, with the driver told first
            .withUTF8Validator(false) // added below, before the aggregator
            .build();
    ChannelPipeline p = ctx.pipeline();
    p.replace(HttpServerCodec.class, "ws-decoder", new WebSocket13FrameDecoder(decoder));
    p.addAfter("ws-decoder", "ws-encoder", new WebSocket13FrameEncoder(false));
    p.addAfter("ws-encoder", "ws-utf8", new Utf8FrameValidator(false));
    p.addAfter("ws-utf8", "ws-aggregator", new WebSocketFrameAggregator(max));
    p.remove(HttpObjectAggregator.class);
    p.replace(this, "ws-transport", transport);
    host.opening(transport);
    written.addListener(
        (ChannelFutureListener)
            f -> {
              if (f.isSuccess()) {
                transport.open();
                if (host.stopping()) {
                  transport
                      .driver()
                      .session()
                      .close(CloseStatus.of(CloseStatus.GOING_AWAY, "server shutting down"));
                }
              } else {
                LOG.debug("101 not written for {}", request, f.cause());
                f.channel().close();
              }
            });
  }

  // ------------------------------------------------------------------ responses

  private void reject(ChannelHandlerContext ctx, boolean keepAlive, Rejection rejection) {
    if (rejection.isNoContent()) {
      FullHttpResponse response =
          new DefaultFullHttpResponse(
              HttpVersion.HTTP_1_1, HttpResponseStatus.NO_CONTENT, Unpooled.EMPTY_BUFFER);
      rejection.headers().forEach((k, v) -> response.headers().set(k, v));
      finish(ctx, keepAlive, response);
      return;
    }
    text(
        ctx,
        keepAlive,
        HttpResponseStatus.valueOf(rejection.status()),
        rejection.body(),
        rejection.headers());
  }

  private void text(
      ChannelHandlerContext ctx,
      boolean keepAlive,
      HttpResponseStatus status,
      String body,
      Map<String, String> headers) {
    send(ctx, keepAlive, status, "text/plain; charset=utf-8", body, headers);
  }

  private void send(
      ChannelHandlerContext ctx,
      boolean keepAlive,
      HttpResponseStatus status,
      String contentType,
      String body,
      Map<String, String> headers) {
    ByteBuf content = Unpooled.copiedBuffer(body, StandardCharsets.UTF_8);
    FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status, content);
    response.headers().set(HttpHeaderNames.CONTENT_TYPE, contentType);
    headers.forEach((k, v) -> response.headers().set(k, v));
    HttpUtil.setContentLength(response, content.readableBytes());
    finish(ctx, keepAlive, response);
  }

  private void finish(ChannelHandlerContext ctx, boolean keepAlive, FullHttpResponse r) {
    if (!r.headers().contains(HttpHeaderNames.CONTENT_LENGTH)) {
      HttpUtil.setContentLength(r, r.content().readableBytes());
    }
    if (keepAlive) {
      ctx.writeAndFlush(r);
      armDeadline(ctx); // the next request gets its own time
    } else {
      r.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
      ctx.writeAndFlush(r).addListener(ChannelFutureListener.CLOSE);
    }
  }

  // ------------------------------------------------------------------ checks

  /** The path of a request target in origin form ({@code /a?b}) or absolute form. */
  static String rawPath(String target) {
    if (target.startsWith("/")) {
      int end = target.length();
      int q = target.indexOf('?');
      if (q >= 0) {
        end = q;
      }
      int h = target.indexOf('#');
      if (h >= 0 && h < end) {
        end = h;
      }
      return target.substring(0, end);
    }
    try {
      String path = URI.create(target).getRawPath();
      if (path == null || path.isEmpty()) {
        return "/";
      }
      return path;
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("request target is not a URI", e);
    }
  }

  private static @Nullable String upgradeProblem(FullHttpRequest request) {
    if (request.protocolVersion().equals(HttpVersion.HTTP_1_0)) {
      return "WebSocket needs HTTP/1.1";
    }
    if (!hasToken(request, HttpHeaderNames.UPGRADE.toString(), "websocket")) {
      return "this endpoint speaks WebSocket: send Upgrade: websocket";
    }
    return hasToken(request, HttpHeaderNames.CONNECTION.toString(), "upgrade")
        ? null
        : "Connection header must contain the Upgrade token";
  }

  private static boolean hasToken(FullHttpRequest request, String header, String token) {
    for (String t : NettyRequest.tokens(request.headers().getAll(header))) {
      if (t.equalsIgnoreCase(token)) {
        return true;
      }
    }
    return false;
  }

  private static @Nullable String chooseSubprotocol(List<String> mine, List<String> offered) {
    for (String m : mine) {
      if (offered.contains(m)) {
        return m;
      }
    }
    return null;
  }

  /**
   * RFC 6455 §4.1: the key is the base64 (RFC 4648 §4, padded) of 16 bytes, so exactly 22
   * characters followed by {@code ==}.
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

  private static String acceptFor(String key) {
    try {
      byte[] sha1 =
          MessageDigest.getInstance("SHA-1")
              .digest((key + ACCEPT_GUID).getBytes(StandardCharsets.US_ASCII));
      return Base64.getEncoder().encodeToString(sha1);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-1 is required of every Java platform", e);
    }
  }
}
