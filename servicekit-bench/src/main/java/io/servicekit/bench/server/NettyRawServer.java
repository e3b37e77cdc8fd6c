package io.servicekit.bench.server;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.EventLoop;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.ServerChannel;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketFrameAggregator;
import io.netty.handler.codec.http.websocketx.WebSocketServerProtocolConfig;
import io.netty.handler.codec.http.websocketx.WebSocketServerProtocolHandler;
import io.netty.util.NettyRuntime;
import io.netty.util.ReferenceCountUtil;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * Raw Netty 4.2 as a peer of {@link JettyRawServer}: the same endpoints and control protocol
 * ({@link ServerControl}) with nothing on top. Epoll where {@link Epoll#isAvailable()}, NIO
 * otherwise; one event-loop group of as many loops as the process may use CPUs (one under {@code
 * taskset -c 1}), the acceptor on it too, and every piece of work on the event loops: no executor,
 * no blocking.
 *
 * <ul>
 *   <li>{@code /echo} and {@code /json}: {@link WebSocketServerProtocolHandler} (handshake, ping,
 *       close, UTF-8 check), then every text or binary message is written back as it came, one
 *       {@code writeAndFlush} per message (as the other peers send each message at once).
 *   <li>{@code /broadcast}: every message is written to every open connection of the endpoint, a
 *       plain loop over a concurrent set; the payload is the received bytes, shared: each recipient
 *       gets a {@code retainedDuplicate()} of the frame (no copy, no re-encoding of the text). The
 *       {@link ServerControl#FILL_REQUEST fill request} is answered to its sender alone with 8 MiB,
 *       one 64 KiB buffer encoded once and shared by the 128 frames. Writes are not held back when
 *       a channel is unwritable (like Jetty's {@code sendText} and Node's {@code ws.send}, which
 *       queue without bound).
 *   <li>{@code /sse}: an HTTP/1.1 {@code text/event-stream} response (chunked) kept open; a {@code
 *       publish <text>} command frames {@code data: <text>\n\n} once and, on an event loop, writes
 *       a {@code retainedDuplicate()} of it to every open stream.
 *   <li>Anything else: {@code 404}. A request on a WebSocket path that is not an upgrade: {@code
 *       400} (Netty's handshaker names the missing header).
 * </ul>
 *
 * <p>Netty sets no idle timeout unless asked (no {@code IdleStateHandler} here), so idle
 * connections and streams stay open as in the raw Jetty peer with its 10-minute timeouts.
 */
public final class NettyRawServer implements AutoCloseable {
  /** Largest message accepted (text or binary), as Jetty's default of 64 KiB. */
  static final int MAX_MESSAGE = 64 * 1024;

  /** {@link ServerControl#FILL_REQUEST}'s bytes, compared with (never written, never released). */
  private static final ByteBuf FILL =
      Unpooled.wrappedBuffer(ServerControl.FILL_REQUEST.getBytes(StandardCharsets.US_ASCII));

  private final MultiThreadIoEventLoopGroup group;
  private final Channel server;
  private final String transport;
  private final Set<Channel> subscribers = ConcurrentHashMap.newKeySet();
  private final Set<Channel> streams = ConcurrentHashMap.newKeySet();

  private NettyRawServer(int port) throws InterruptedException {
    boolean epoll = Epoll.isAvailable();
    IoHandlerFactory io = epoll ? EpollIoHandler.newFactory() : NioIoHandler.newFactory();
    Class<? extends ServerChannel> channel =
        epoll ? EpollServerSocketChannel.class : NioServerSocketChannel.class;
    this.transport = epoll ? "epoll" : "nio";
    this.group = new MultiThreadIoEventLoopGroup(NettyRuntime.availableProcessors(), io);
    try {
      this.server =
          new ServerBootstrap()
              .group(group)
              .channel(channel)
              .option(ChannelOption.SO_BACKLOG, 4096) // 10k connects in bursts of 16
              .childOption(ChannelOption.TCP_NODELAY, true)
              .childHandler(
                  new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                      ch.pipeline()
                          .addLast("http", new HttpServerCodec())
                          .addLast("aggregate", new HttpObjectAggregator(8192))
                          .addLast("route", new Router());
                    }
                  })
              .bind("127.0.0.1", port)
              .sync()
              .channel();
    } catch (InterruptedException | RuntimeException e) {
      group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
      throw e;
    }
  }

  /** Starts a server on {@code 127.0.0.1:port} (0 for any free port). */
  public static NettyRawServer start(int port) throws InterruptedException {
    return new NettyRawServer(port);
  }

  public static void main(String[] args) throws Exception {
    int port = args.length > 0 ? Integer.parseInt(args[0]) : 0;
    NettyRawServer server = start(port);
    System.err.println(
        "NettyRawServer: transport "
            + server.transport()
            + ", "
            + server.eventLoops()
            + " loop(s)");
    ServerControl.serve(server.port(), server::close, server::publish);
  }

  /** The port the server listens on. */
  public int port() {
    return ((InetSocketAddress) server.localAddress()).getPort();
  }

  /** {@code epoll} or {@code nio}. */
  public String transport() {
    return transport;
  }

  /** How many event loops the server runs. */
  public int eventLoops() {
    return group.executorCount();
  }

  /** Open WebSocket connections of {@code /broadcast} (past their handshake). */
  public int subscribers() {
    return subscribers.size();
  }

  /** Open {@code /sse} streams. */
  public int streams() {
    return streams.size();
  }

  /**
   * Broadcasts {@code text} as one event, {@code data: <text>\n\n}, to every open {@code /sse}
   * stream: framed once here, written from an event loop.
   */
  public void publish(String text) {
    ByteBuf framed =
        Unpooled.wrappedBuffer(("data: " + text + "\n\n").getBytes(StandardCharsets.UTF_8));
    EventLoop loop = group.next();
    loop.execute(
        () -> {
          try {
            for (Channel s : streams) {
              s.writeAndFlush(new DefaultHttpContent(framed.retainedDuplicate()));
            }
          } finally {
            framed.release();
          }
        });
  }

  /** Closes the listener and every connection, and stops the event loops. */
  @Override
  public void close() {
    server.close().syncUninterruptibly();
    group.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
  }

  /**
   * The first handler of every connection: routes its first (aggregated) request, then leaves the
   * pipeline.
   */
  private final class Router extends ChannelInboundHandlerAdapter {
    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      if (!(msg instanceof FullHttpRequest request)) {
        ctx.fireChannelRead(msg);
        return;
      }
      String path = new QueryStringDecoder(request.uri()).path();
      ChannelPipeline p = ctx.pipeline();
      switch (path) {
        case "/echo", "/json", "/broadcast" -> {
          WebSocketServerProtocolConfig config =
              WebSocketServerProtocolConfig.newBuilder()
                  .websocketPath(path)
                  .checkStartsWith(true) // a query string is fine
                  .maxFramePayloadLength(MAX_MESSAGE)
                  .build();
          p.addAfter(ctx.name(), "ws", new WebSocketServerProtocolHandler(config));
          p.addAfter("ws", "messages", new WebSocketFrameAggregator(MAX_MESSAGE));
          p.addAfter("messages", "app", path.equals("/broadcast") ? new Broadcast() : new Echo());
          p.remove(this);
          ctx.fireChannelRead(request); // the handshake
        }
        case "/sse" -> {
          request.release();
          p.remove(this);
          p.addLast("sse", new SseStream());
        }
        default -> {
          request.release();
          FullHttpResponse notFound =
              new DefaultFullHttpResponse(
                  HttpVersion.HTTP_1_1,
                  HttpResponseStatus.NOT_FOUND,
                  Unpooled.copiedBuffer("no endpoint at " + path + "\n", StandardCharsets.UTF_8));
          notFound.headers().set(HttpHeaderNames.CONTENT_TYPE, HttpHeaderValues.TEXT_PLAIN);
          notFound.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
          HttpUtil.setContentLength(notFound, notFound.content().readableBytes());
          ctx.writeAndFlush(notFound).addListener(ChannelFutureListener.CLOSE);
        }
      }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      ctx.close();
    }
  }

  /** Sends every text or binary message back as it came. */
  private static final class Echo extends ChannelInboundHandlerAdapter {
    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      if (msg instanceof TextWebSocketFrame || msg instanceof BinaryWebSocketFrame) {
        ctx.writeAndFlush(msg); // the frame itself: its buffer goes back out, released by the write
      } else {
        ReferenceCountUtil.release(msg);
      }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      ctx.close();
    }
  }

  /** One connection of {@code /broadcast}: a subscriber from its handshake to its close. */
  private final class Broadcast extends ChannelInboundHandlerAdapter {
    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
      if (evt instanceof WebSocketServerProtocolHandler.HandshakeComplete) {
        subscribers.add(ctx.channel());
      }
      ctx.fireUserEventTriggered(evt);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
      subscribers.remove(ctx.channel());
      ctx.fireChannelInactive();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      if (!(msg instanceof TextWebSocketFrame || msg instanceof BinaryWebSocketFrame)) {
        ReferenceCountUtil.release(msg);
        return;
      }
      WebSocketFrame frame = (WebSocketFrame) msg;
      try {
        if (frame instanceof TextWebSocketFrame && ByteBufUtil.equals(frame.content(), FILL)) {
          fill(ctx);
          return;
        }
        for (Channel s : subscribers) {
          s.writeAndFlush(frame.retainedDuplicate());
        }
      } finally {
        frame.release();
      }
    }

    /** See {@link ServerControl#FILL_REQUEST}: 8 MiB to the sender alone. */
    private void fill(ChannelHandlerContext ctx) {
      ByteBuf chunk =
          Unpooled.wrappedBuffer(ServerControl.FILL_CHUNK.getBytes(StandardCharsets.US_ASCII));
      try {
        for (int i = 0; i < ServerControl.FILL_CHUNKS; i++) {
          ctx.writeAndFlush(new TextWebSocketFrame(chunk.retainedDuplicate()));
        }
      } finally {
        chunk.release();
      }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      ctx.close();
    }
  }

  /** One {@code /sse} stream: the response head is written when it joins, events by publish. */
  private final class SseStream extends ChannelInboundHandlerAdapter {
    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
      HttpResponse head = new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK);
      head.headers().set(HttpHeaderNames.CONTENT_TYPE, "text/event-stream");
      head.headers().set(HttpHeaderNames.CACHE_CONTROL, HttpHeaderValues.NO_CACHE);
      HttpUtil.setTransferEncodingChunked(head, true);
      Channel ch = ctx.channel();
      streams.add(ch); // before the head: a client that has the head is sent every later event
      ch.closeFuture().addListener(f -> streams.remove(ch));
      ctx.writeAndFlush(head);
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      ReferenceCountUtil.release(msg); // nothing more is expected from an SSE client
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      ctx.close();
    }
  }
}
