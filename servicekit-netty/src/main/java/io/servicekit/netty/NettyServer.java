package io.servicekit.netty;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.ServerChannel;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http.HttpDecoderConfig;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.util.concurrent.DefaultThreadFactory;
import io.servicekit.CloseStatus;
import io.servicekit.WsConfig;
import io.servicekit.WsHandler;
import io.servicekit.WsSession;
import io.servicekit.netty.internal.NettyTransport;
import io.servicekit.netty.internal.Routes;
import io.servicekit.netty.internal.UpgradeHandler;
import io.servicekit.spi.SseDriver;
import io.servicekit.sse.SseConfig;
import io.servicekit.sse.SseEvent;
import io.servicekit.sse.SseHandler;
import io.servicekit.sse.SseSession;
import java.net.InetSocketAddress;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A Netty 4.2 server with ServiceKit WebSocket and Server-Sent Events routes: the same {@link
 * WsHandler}s, {@link SseHandler}s, configurations and drivers as {@code
 * io.servicekit.jetty.ServiceKitServer}, on Netty's epoll transport where it loads (NIO otherwise).
 *
 * <pre>{@code
 * try (NettyServer server = NettyServer.builder()
 *     .port(8080)
 *     .ws("/echo", request -> new EchoConn())
 *     .ws("/rooms/{room}", request -> new RoomConn(request.pathParam("room").orElseThrow()))
 *     .build()
 *     .start()) {
 *   server.join();
 * }
 * }</pre>
 *
 * <p>Paths are exact ({@code /echo}) or URI templates whose {@code {name}} segments reach the
 * handler as path parameters; an exact path wins over a template, a template with more literal
 * segments over one with fewer. Any other path is answered 404.
 *
 * <p>{@code accept} runs on a virtual thread (it may block); the listener's callbacks run on
 * virtual threads, one at a time per connection, as with Jetty. Only WebSocket and SSE routes exist
 * so far: see {@code docs/netty.md} for what the Jetty binding has and this one does not yet.
 */
public final class NettyServer implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(NettyServer.class);

  /** The close status of the connections still open when the server stops. */
  public static final CloseStatus SHUTTING_DOWN =
      CloseStatus.of(CloseStatus.GOING_AWAY, "server shutting down");

  /**
   * The final event every open SSE stream gets when the server stops: {@code event: shutdown} with
   * {@code data: {"reason":"server shutting down"}}, as the Jetty binding's graceful shutdown
   * sends.
   */
  public static final SseEvent SSE_SHUTDOWN_EVENT =
      SseEvent.named("shutdown", "{\"reason\":\"server shutting down\"}");

  private final Routes routes;
  private final @Nullable String host;
  private final int port;
  private final boolean epoll;
  private final int ioThreads;
  private final Duration stopTimeout;
  private final Duration requestTimeout;
  private final Set<NettyTransport> open = ConcurrentHashMap.newKeySet();
  private final Set<SseDriver> streams = ConcurrentHashMap.newKeySet();
  private final CompletableFuture<Void> stopped = new CompletableFuture<>();
  private volatile boolean stopping;
  private volatile @Nullable Channel serverChannel;
  private volatile @Nullable EventLoopGroup boss;
  private volatile @Nullable EventLoopGroup workers;

  private NettyServer(Builder b) {
    this.routes = b.routes.build();
    this.host = b.host;
    this.port = b.port;
    this.epoll = b.epoll && Epoll.isAvailable();
    this.ioThreads = b.ioThreads;
    this.stopTimeout = b.stopTimeout;
    this.requestTimeout = b.requestTimeout;
  }

  /** A new builder. */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * Binds and starts serving; returns this.
   *
   * @throws IllegalStateException if already started or stopped
   * @throws InterruptedException if interrupted while binding
   */
  public synchronized NettyServer start() throws InterruptedException {
    if (serverChannel != null || stopping) {
      throw new IllegalStateException("NettyServer.start(): already started or stopped");
    }
    IoHandlerFactory io = epoll ? EpollIoHandler.newFactory() : NioIoHandler.newFactory();
    Class<? extends ServerChannel> channelType =
        epoll ? EpollServerSocketChannel.class : NioServerSocketChannel.class;
    EventLoopGroup bossGroup =
        new MultiThreadIoEventLoopGroup(1, new DefaultThreadFactory("servicekit-netty-accept"), io);
    EventLoopGroup workerGroup =
        new MultiThreadIoEventLoopGroup(
            ioThreads, new DefaultThreadFactory("servicekit-netty-io"), io);
    UpgradeHandler.Host upgradeHost = new Host();
    ServerBootstrap bootstrap =
        new ServerBootstrap()
            .group(bossGroup, workerGroup)
            .channel(channelType)
            .childOption(ChannelOption.TCP_NODELAY, true)
            .childHandler(
                new ChannelInitializer<SocketChannel>() {
                  @Override
                  protected void initChannel(SocketChannel ch) {
                    ch.pipeline()
                        .addLast(
                            "http",
                            new HttpServerCodec(
                                new HttpDecoderConfig()
                                    .setMaxInitialLineLength(8192)
                                    .setMaxHeaderSize(8192)))
                        .addLast("http-aggregator", new HttpObjectAggregator(64 * 1024))
                        .addLast("upgrade", new UpgradeHandler(upgradeHost));
                  }
                });
    InetSocketAddress address =
        host == null ? new InetSocketAddress(port) : new InetSocketAddress(host, port);
    try {
      serverChannel = bootstrap.bind(address).sync().channel();
    } catch (RuntimeException | InterruptedException e) {
      bossGroup.shutdownGracefully(0, 0, TimeUnit.MILLISECONDS);
      workerGroup.shutdownGracefully(0, 0, TimeUnit.MILLISECONDS);
      throw e;
    }
    boss = bossGroup;
    workers = workerGroup;
    LOG.debug("listening on {} ({})", serverChannel.localAddress(), ioTransport());
    return this;
  }

  /** {@code epoll} or {@code nio}: the Netty transport this server runs on. */
  public String ioTransport() {
    return epoll ? "epoll" : "nio";
  }

  /**
   * The bound port (useful with port 0).
   *
   * @throws IllegalStateException before {@link #start()}
   */
  public int port() {
    Channel ch = serverChannel;
    if (ch == null) {
      throw new IllegalStateException("not started");
    }
    return ((InetSocketAddress) ch.localAddress()).getPort();
  }

  /** {@code http://host:port} of the running server (localhost when bound to all interfaces). */
  public URI uri() {
    String h =
        host == null
            ? "localhost"
            : host.contains(":") && !host.startsWith("[") ? "[" + host + "]" : host;
    return URI.create("http://" + h + ":" + port());
  }

  /** {@code ws://host:port} + {@code path}. */
  public URI wsUri(String path) {
    return URI.create("ws://" + uri().getAuthority() + path);
  }

  /** The WebSocket connections open now (a snapshot). */
  public List<WsSession<?>> webSocketSessions() {
    return open.stream().<WsSession<?>>map(t -> t.driver().session()).toList();
  }

  /**
   * Closes every open WebSocket connection with {@code status} (graceful: queued messages are
   * written first); the stage completes when all have ended.
   */
  public CompletableFuture<Void> closeWebSockets(CloseStatus status) {
    Objects.requireNonNull(status, "status");
    return CompletableFuture.allOf(
        open.stream()
            .map(
                t -> {
                  WsSession<?> s = t.driver().session();
                  s.close(status);
                  return s.closeFuture().toCompletableFuture();
                })
            .toArray(CompletableFuture[]::new));
  }

  /** The SSE streams open now. */
  public int openSseStreams() {
    return streams.size();
  }

  /**
   * Sends {@link #SSE_SHUTDOWN_EVENT} to every open SSE stream (directly, never stored for replay)
   * and ends it gracefully (what is queued is written first); the stage completes when all have
   * ended.
   */
  private CompletableFuture<Void> endSseStreams() {
    return CompletableFuture.allOf(
        streams.stream()
            .map(
                d -> {
                  endStream(d);
                  return d.session().closeFuture().toCompletableFuture();
                })
            .toArray(CompletableFuture[]::new));
  }

  private static void endStream(SseDriver driver) {
    SseSession<?> session = driver.session();
    if (session.isOpen()) {
      session.sendDirect(SSE_SHUTDOWN_EVENT);
      session.close();
    }
  }

  /** Blocks until the server has stopped. */
  public void join() throws InterruptedException {
    try {
      stopped.get();
    } catch (ExecutionException e) {
      throw new IllegalStateException(e.getCause());
    }
  }

  /** {@link #stop(Duration)} with the {@linkplain Builder#stopTimeout stop timeout}. */
  public void stop() throws InterruptedException {
    stop(stopTimeout);
  }

  /**
   * Stops: no new connection is accepted and new requests on open HTTP connections get 503, every
   * open WebSocket is closed with 1001 {@code server shutting down}, every open SSE stream gets
   * {@link #SSE_SHUTDOWN_EVENT} and ends (a stream opening meanwhile too), and the peers get up to
   * {@code drain} to answer or read the end (each connection's own close timeout still applies);
   * whatever is left is then dropped. Idempotent.
   */
  public void stop(Duration drain) throws InterruptedException {
    Objects.requireNonNull(drain, "drain");
    synchronized (this) {
      if (stopping) {
        join();
        return;
      }
      stopping = true;
    }
    try {
      Channel ch = serverChannel;
      if (ch != null) {
        ch.close().await();
      }
      try {
        CompletableFuture.allOf(closeWebSockets(SHUTTING_DOWN), endSseStreams())
            .get(drain.toNanos(), TimeUnit.NANOSECONDS);
      } catch (TimeoutException e) {
        LOG.debug(
            "{} WebSocket connections and {} SSE streams still open after {}",
            open.size(),
            streams.size(),
            drain);
      } catch (ExecutionException e) {
        LOG.debug("closing WebSocket connections failed", e);
      }
      EventLoopGroup w = workers;
      EventLoopGroup b = boss;
      if (w != null && b != null) {
        w.shutdownGracefully(0, 2, TimeUnit.SECONDS).await(10, TimeUnit.SECONDS);
        b.shutdownGracefully(0, 2, TimeUnit.SECONDS).await(10, TimeUnit.SECONDS);
      }
    } finally {
      stopped.complete(null);
    }
  }

  @Override
  public void close() throws InterruptedException {
    stop();
  }

  /** What the upgrade path sees of the server. */
  private final class Host implements UpgradeHandler.Host {
    @Override
    public Routes routes() {
      return routes;
    }

    @Override
    public boolean stopping() {
      return stopping;
    }

    @Override
    public void opening(NettyTransport transport) {
      open.add(transport);
    }

    @Override
    public void ended(NettyTransport transport) {
      open.remove(transport);
    }

    @Override
    public void sseOpening(SseDriver driver) {
      streams.add(driver);
      driver.session().closeFuture().whenComplete((end, error) -> streams.remove(driver));
    }

    @Override
    public void endSse(SseDriver driver) {
      endStream(driver);
    }

    @Override
    public Duration requestTimeout() {
      return requestTimeout;
    }
  }

  /** Builds a {@link NettyServer}. */
  public static final class Builder {
    private final Routes.Builder routes = Routes.builder();
    private @Nullable String host;
    private int port = 8080;
    private boolean epoll = true;
    private int ioThreads;
    private Duration stopTimeout = Duration.ofSeconds(30);
    private Duration requestTimeout = Duration.ofSeconds(30);

    private Builder() {}

    /** Port to listen on; 0 picks a free one. Default 8080. */
    public Builder port(int port) {
      if (port < 0 || port > 65535) {
        throw new IllegalArgumentException("port must be 0-65535: " + port);
      }
      this.port = port;
      return this;
    }

    /** Interface to bind (a name or an address literal); default all. */
    public Builder host(String host) {
      this.host = Objects.requireNonNull(host, "host");
      return this;
    }

    /** Whether to use epoll when it loads (default true); false always runs on NIO. */
    public Builder epoll(boolean enabled) {
      this.epoll = enabled;
      return this;
    }

    /** Netty I/O threads; 0 (the default) lets Netty choose (twice the cores). */
    public Builder ioThreads(int threads) {
      if (threads < 0) {
        throw new IllegalArgumentException("ioThreads must be >= 0: " + threads);
      }
      this.ioThreads = threads;
      return this;
    }

    /**
     * How long {@link #stop()} waits for WebSocket peers to answer the 1001 and SSE streams to end.
     * Default 30 s.
     */
    public Builder stopTimeout(Duration stopTimeout) {
      Objects.requireNonNull(stopTimeout, "stopTimeout");
      if (stopTimeout.isNegative()) {
        throw new IllegalArgumentException("stopTimeout must not be negative: " + stopTimeout);
      }
      this.stopTimeout = stopTimeout;
      return this;
    }

    /**
     * Longest wait for a complete request (headers included) on an HTTP connection, from its
     * opening or from the previous response; the connection is then closed. It bounds both idle and
     * trickling clients before an upgrade (upgraded connections have their heartbeat). Default 30
     * s.
     */
    public Builder requestTimeout(Duration requestTimeout) {
      Objects.requireNonNull(requestTimeout, "requestTimeout");
      if (requestTimeout.isNegative() || requestTimeout.isZero()) {
        throw new IllegalArgumentException("requestTimeout must be positive: " + requestTimeout);
      }
      this.requestTimeout = requestTimeout;
      return this;
    }

    /** A WebSocket endpoint with the default configuration. */
    public <I, O> Builder ws(String path, WsHandler<I, O> handler) {
      return ws(path, handler, WsConfig.defaults());
    }

    /**
     * A WebSocket endpoint.
     *
     * @throws IllegalArgumentException if {@code path} is malformed or already routed
     */
    public <I, O> Builder ws(String path, WsHandler<I, O> handler, WsConfig config) {
      routes.add(path, handler, config);
      return this;
    }

    /** A Server-Sent Events endpoint with {@link SseConfig#defaults()}. */
    public <O> Builder sse(String path, SseHandler<O> handler) {
      return sse(path, handler, SseConfig.defaults());
    }

    /**
     * A Server-Sent Events endpoint: GET only (405 otherwise), {@code Last-Event-ID} checked by the
     * driver (400), {@code accept} on a virtual thread (a {@link io.servicekit.Rejection} becomes
     * its response), then a chunked {@code text/event-stream} response.
     *
     * @throws IllegalArgumentException if {@code path} is malformed or already routed
     */
    public <O> Builder sse(String path, SseHandler<O> handler, SseConfig config) {
      routes.add(path, handler, config);
      return this;
    }

    /** The server, not started yet. */
    public NettyServer build() {
      return new NettyServer(this);
    }
  }
}
