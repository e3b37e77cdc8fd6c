package io.servicekit.netty;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketServerProtocolHandler;
import io.servicekit.Codec;
import io.servicekit.Message;
import io.servicekit.WsConfig;
import io.servicekit.WsListener;
import io.servicekit.WsSession;
import io.servicekit.jetty.ServiceKitServer;
import io.servicekit.testkit.RawFrame;
import io.servicekit.testkit.RawWsClient;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.net.InetSocketAddress;
import java.net.URI;
import java.util.Arrays;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

/**
 * A rough measure, not a test (runs only with {@code -Dservicekit.netty.measure=true}): server CPU
 * per echoed 16-byte text message over one connection, for a raw Netty echo, {@link NettyServer}
 * and the Jetty binding, in this JVM. Server CPU is the process CPU time minus that of the client's
 * two threads (so it includes the JIT and GC); the client pipelines the messages in batches of
 * {@code -Dservicekit.netty.batch} (default 64; with 1 each message waits for the echo of the one
 * before) and sends {@code -Dservicekit.netty.messages} (default 400,000) after a warm-up of half
 * as many.
 */
@EnabledIfSystemProperty(named = "servicekit.netty.measure", matches = "true")
class EchoCostTest {
  private static final int BATCH = Integer.getInteger("servicekit.netty.batch", 64);
  private static final int MEASURED = Integer.getInteger("servicekit.netty.messages", 400_000);
  private static final int WARMUP = MEASURED / 2;

  /** A raw echo: every message written back as it is. */
  static final class Echo implements WsListener<Message, Message> {
    @Override
    public Codec<Message, Message> codec() {
      return Codec.raw();
    }

    @Override
    public void onMessage(WsSession<Message> session, Message message) {
      session.send(message);
    }
  }

  @Test
  void cpuPerEchoedMessage() throws Exception {
    WsConfig config = WsConfig.builder().maxQueuedBytes(64L << 20).build();
    StringBuilder report = new StringBuilder();
    EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, EpollIoHandler.newFactory());
    try {
      Channel raw = rawNetty(group);
      int port = ((InetSocketAddress) raw.localAddress()).getPort();
      report.append(measure("raw netty", URI.create("ws://localhost:" + port + "/echo")));
      raw.close().sync();
    } finally {
      group.shutdownGracefully().sync();
    }
    try (NettyServer netty =
        NettyServer.builder()
            .port(0)
            .host("localhost")
            .ioThreads(1)
            .ws("/echo", r -> new Echo(), config)
            .build()
            .start()) {
      report.append(measure("servicekit-netty", netty.wsUri("/echo")));
    }
    try (ServiceKitServer jetty =
        ServiceKitServer.builder()
            .port(0)
            .host("localhost")
            .ws("/echo", r -> new Echo(), config)
            .build()
            .start()) {
      report.append(measure("servicekit-jetty", jetty.wsUri("/echo")));
    }
    System.out.println(report);
  }

  private static Channel rawNetty(EventLoopGroup group) throws InterruptedException {
    return new ServerBootstrap()
        .group(group)
        .channel(EpollServerSocketChannel.class)
        .childOption(ChannelOption.TCP_NODELAY, true)
        .childHandler(
            new ChannelInitializer<SocketChannel>() {
              @Override
              protected void initChannel(SocketChannel ch) {
                ch.pipeline()
                    .addLast(new HttpServerCodec())
                    .addLast(new HttpObjectAggregator(65536))
                    .addLast(new WebSocketServerProtocolHandler("/echo", null, false, 1 << 20))
                    .addLast(
                        new SimpleChannelInboundHandler<WebSocketFrame>() {
                          @Override
                          protected void channelRead0(ChannelHandlerContext ctx, WebSocketFrame f) {
                            if (f instanceof TextWebSocketFrame
                                || f instanceof BinaryWebSocketFrame) {
                              ctx.writeAndFlush(f.retain());
                            }
                          }
                        });
              }
            })
        .bind(new InetSocketAddress("localhost", 0))
        .sync()
        .channel();
  }

  private static String measure(String name, URI uri) throws Exception {
    try (RawWsClient client = RawWsClient.open(uri)) {
      run(client, WARMUP);
      com.sun.management.OperatingSystemMXBean os =
          (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
      ThreadMXBean mx = ManagementFactory.getThreadMXBean();
      long process0 = os.getProcessCpuTime();
      long reader0 = mx.getCurrentThreadCpuTime();
      long t0 = System.nanoTime();
      long writer = run(client, MEASURED);
      long wall = System.nanoTime() - t0;
      long clientCpu = writer + mx.getCurrentThreadCpuTime() - reader0;
      long serverCpu = os.getProcessCpuTime() - process0 - clientCpu;
      return String.format(
          Locale.ROOT,
          "%-18s %6.2f us server CPU/message (%6.2f us client), %8.0f messages/s%n",
          name,
          serverCpu / 1000.0 / MEASURED,
          clientCpu / 1000.0 / MEASURED,
          MEASURED / (wall / 1e9));
    }
  }

  /**
   * Sends {@code n} messages in batches from a writer thread while this thread reads the echoes;
   * returns the CPU time the writer used.
   */
  private static long run(RawWsClient client, int n) throws Exception {
    RawFrame[] batch = new RawFrame[BATCH];
    Arrays.fill(batch, RawFrame.text("0123456789abcdef").maskKey(new byte[] {1, 2, 3, 4}));
    byte[] wire = RawFrame.encodeAll(batch);
    if (BATCH == 1) { // ping-pong: each message waits for the echo of the one before
      for (int i = 0; i < n; i++) {
        client.write(wire);
        client.awaitMessage();
      }
      return 0;
    }
    AtomicReference<Throwable> failed = new AtomicReference<>();
    AtomicLong writerCpu = new AtomicLong();
    ThreadMXBean mx = ManagementFactory.getThreadMXBean();
    Thread writer =
        Thread.ofPlatform()
            .start(
                () -> {
                  try {
                    for (int sent = 0; sent < n; sent += BATCH) {
                      client.write(wire);
                    }
                  } catch (RuntimeException e) {
                    failed.set(e);
                  }
                  writerCpu.set(mx.getCurrentThreadCpuTime());
                });
    int total = (n + BATCH - 1) / BATCH * BATCH;
    for (int i = 0; i < total; i++) {
      client.awaitMessage();
    }
    writer.join();
    assertThat(failed.get()).isNull();
    return writerCpu.get();
  }
}
