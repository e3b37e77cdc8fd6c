package io.servicekit.netty.internal;

import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.channel.socket.DuplexChannel;
import io.netty.handler.codec.TooLongFrameException;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.CorruptedWebSocketFrameException;
import io.netty.handler.codec.http.websocketx.PingWebSocketFrame;
import io.netty.handler.codec.http.websocketx.PongWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.ScheduledFuture;
import io.servicekit.CloseStatus;
import io.servicekit.WsConfig;
import io.servicekit.spi.Transport;
import io.servicekit.spi.WsDriver;
import java.nio.channels.ClosedChannelException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;

/**
 * One upgraded connection: the last handler of its pipeline ({@code frame decoder → UTF-8 validator
 * → WebSocketFrameAggregator → this}) and the {@link Transport} its {@link WsDriver} writes to.
 *
 * <p><b>Inbound.</b> The channel's auto-read is off. One socket read may decode several messages;
 * they wait in {@link #inbound} and are handed to the driver one per {@link #demand()}, and the
 * socket is read again only when the driver asks for more and nothing is waiting. So a listener
 * that does not keep up stops the reads and its peer's TCP window fills. Protocol pings are
 * answered at once (the next read waits until the pong is written, so a ping flood is held back by
 * TCP); pings and pongs count as liveness. A close frame waits in order behind the messages before
 * it.
 *
 * <p><b>Ending.</b> A peer's close frame is answered with the same code (unless ours went first)
 * and the TCP connection is closed once that is written. A protocol violation found by Netty's
 * decoder, the UTF-8 validator or the aggregator's size limit ends the driver at once with that
 * code (1002, 1007, 1009), writes the close frame, half-closes the socket and waits up to {@link
 * WsConfig#closeTimeout()} for the peer to go. A drop reports 1006.
 *
 * <p>Every field is confined to the channel's event loop, except {@link #lastCompletion} (a cache
 * any thread may replace; its value is immutable).
 */
public final class NettyTransport extends ChannelDuplexHandler implements Transport {
  /** The peer's close frame, queued behind the messages before it. */
  private record PeerClose(int code, String reason) {}

  private final Channel channel;
  private final EventExecutor loop;
  private final WsDriver driver;
  private final WsConfig config;
  private final Consumer<NettyTransport> onEnd;
  private final Runnable demandTask = this::demandOnLoop;
  private final ChannelFutureListener pongWritten = this::pongWritten;
  private final ArrayDeque<Object> inbound = new ArrayDeque<>();

  @SuppressWarnings("NullAway.Init") // set by handlerAdded, before any event
  private ChannelHandlerContext ctx;

  private boolean opened;
  private boolean demanded;
  private boolean delivering;
  private boolean ended; // the driver was told; nothing more is delivered
  private boolean outputClosed; // a close frame went out (ours or the echo); no data after it
  private boolean draining; // after a violation: discard input until the peer goes
  private int pongsInFlight;
  private @Nullable ScheduledFuture<?> drainTimer;
  private @Nullable Completion lastCompletion;

  /**
   * A transport for {@code driver} on {@code channel}; {@code onEnd} runs once on the event loop
   * when the connection has ended (or dropped before it opened).
   */
  public NettyTransport(
      Channel channel, WsDriver driver, WsConfig config, Consumer<NettyTransport> onEnd) {
    this.channel = channel;
    this.loop = channel.eventLoop();
    this.driver = driver;
    this.config = config;
    this.onEnd = onEnd;
  }

  /** The driver this transport feeds. */
  public WsDriver driver() {
    return driver;
  }

  /**
   * The 101 is written: opens the driver (on the event loop). A connection dropped before this
   * never opens (its listener sees neither {@code onOpen} nor {@code onClose}), as an upgrade that
   * failed.
   */
  public void open() {
    if (ended) {
      return;
    }
    opened = true;
    driver.open(this);
  }

  // ------------------------------------------------------------------ Netty events

  @Override
  public void handlerAdded(ChannelHandlerContext ctx) {
    this.ctx = ctx;
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (draining) {
      boolean close = msg instanceof CloseWebSocketFrame;
      ReferenceCountUtil.release(msg);
      if (close) {
        ctx.close();
      }
      return;
    }
    switch (msg) {
      case TextWebSocketFrame text -> {
        String s = text.content().toString(StandardCharsets.UTF_8);
        text.release();
        enqueue(s);
      }
      case BinaryWebSocketFrame binary -> {
        byte[] bytes = ByteBufUtil.getBytes(binary.content());
        binary.release();
        enqueue(bytes);
      }
      case PingWebSocketFrame ping -> {
        if (!ended) {
          driver.onControlFrame();
        }
        if (outputClosed) {
          ping.release();
        } else {
          pongsInFlight++;
          ctx.writeAndFlush(new PongWebSocketFrame(ping.content())).addListener(pongWritten);
        }
      }
      case PongWebSocketFrame pong -> {
        pong.release();
        if (!ended) {
          driver.onControlFrame();
        }
      }
      case CloseWebSocketFrame close -> {
        int code = close.statusCode();
        String reason = code < 0 ? "" : close.reasonText();
        close.release();
        enqueue(new PeerClose(code < 0 ? CloseStatus.NO_STATUS : code, reason));
      }
      default -> ReferenceCountUtil.release(msg);
    }
  }

  @Override
  public void channelReadComplete(ChannelHandlerContext ctx) {
    readIfWanted();
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    if (cause instanceof CorruptedWebSocketFrameException bad) {
      violation(bad.closeStatus().code(), reasonOf(bad), cause);
    } else if (cause instanceof TooLongFrameException) {
      violation(
          CloseStatus.MESSAGE_TOO_BIG,
          "message too big: more than " + config.maxMessageSize() + " bytes",
          cause);
    } else {
      if (opened && !ended) {
        driver.onTransportError(cause);
      }
      ctx.close();
    }
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) {
    ScheduledFuture<?> timer = drainTimer;
    if (timer != null) {
      timer.cancel(false);
    }
    end(CloseStatus.ABNORMAL, "connection lost");
  }

  /** Data frames written after a close frame fail; the close frame itself passes once. */
  @Override
  public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
    if (msg instanceof CloseWebSocketFrame) {
      if (outputClosed) {
        ReferenceCountUtil.release(msg);
        promise.setSuccess(); // a close frame is already out (the peer's echo or a violation's)
        return;
      }
      outputClosed = true;
    } else if (outputClosed) {
      ReferenceCountUtil.release(msg);
      promise.setFailure(new ClosedChannelException()); // a race with the end only
      return;
    }
    ctx.write(msg, promise);
  }

  // ------------------------------------------------------------------ inbound flow

  private void enqueue(Object item) {
    if (ended) {
      return;
    }
    inbound.add(item);
    drain();
  }

  private void demandOnLoop() {
    demanded = true;
    drain();
  }

  /** Hands waiting items to the driver while it has asked for them, then reads if it still asks. */
  private void drain() {
    if (delivering) {
      return; // a demand() from inside a delivery: the loop below picks it up
    }
    delivering = true;
    try {
      while (demanded && !ended) {
        Object next = inbound.poll();
        if (next == null) {
          break;
        }
        demanded = false;
        deliver(next);
      }
    } finally {
      delivering = false;
    }
    readIfWanted();
  }

  private void deliver(Object item) {
    switch (item) {
      case String text -> driver.onText(text);
      case byte[] bytes -> driver.onBinary(bytes);
      case PeerClose close -> peerClosed(close.code(), close.reason());
      default -> throw new IllegalStateException("unexpected inbound item " + item);
    }
  }

  private void readIfWanted() {
    if (demanded && !ended && pongsInFlight == 0 && inbound.isEmpty()) {
      ctx.read();
    }
  }

  private void pongWritten(ChannelFuture future) {
    pongsInFlight--;
    if (!future.isSuccess()) {
      ctx.close();
      return;
    }
    readIfWanted();
  }

  // ------------------------------------------------------------------ ending

  private void peerClosed(int code, String reason) {
    if (outputClosed) {
      ctx.close(); // ours went first: the close handshake is complete
    } else {
      outputClosed = true;
      CloseWebSocketFrame echo =
          code == CloseStatus.NO_STATUS
              ? new CloseWebSocketFrame(true, 0, Unpooled.EMPTY_BUFFER)
              : new CloseWebSocketFrame(code, reason);
      ctx.writeAndFlush(echo).addListener(ChannelFutureListener.CLOSE);
    }
    end(code, reason);
  }

  /**
   * The peer broke the protocol: the driver ends now with {@code code}; the close frame goes out,
   * the socket is half-closed, and the input is discarded until the peer goes or the close timeout.
   */
  private void violation(int code, String reason, Throwable cause) {
    if (draining) {
      return;
    }
    draining = true;
    if (opened && !ended) {
      driver.onTransportError(cause);
    }
    if (!outputClosed) {
      outputClosed = true;
      ctx.writeAndFlush(new CloseWebSocketFrame(code, reason))
          .addListener(
              (ChannelFutureListener)
                  f -> {
                    if (f.isSuccess() && f.channel() instanceof DuplexChannel duplex) {
                      duplex.shutdownOutput();
                    } else {
                      f.channel().close();
                    }
                  });
    }
    channel.config().setAutoRead(true);
    drainTimer =
        loop.schedule(
            () -> {
              channel.close();
            },
            config.closeTimeout().toNanos(),
            TimeUnit.NANOSECONDS);
    end(code, reason);
  }

  private void end(int code, String reason) {
    if (ended) {
      return;
    }
    ended = true;
    inbound.clear();
    if (opened) {
      driver.onClosed(code, reason);
    }
    onEnd.accept(this);
  }

  private static String reasonOf(CorruptedWebSocketFrameException e) {
    String text = e.getMessage() == null ? e.closeStatus().reasonText() : e.getMessage();
    byte[] utf8 = text.getBytes(StandardCharsets.UTF_8);
    if (utf8.length <= CloseStatus.MAX_REASON_BYTES) {
      return text;
    }
    // keep whole characters only
    int n = CloseStatus.MAX_REASON_BYTES;
    while (n > 0 && (utf8[n] & 0xC0) == 0x80) {
      n--;
    }
    return new String(utf8, 0, n, StandardCharsets.UTF_8);
  }

  // ------------------------------------------------------------------ Transport

  @Override
  public void sendText(String text, WriteCallback callback) {
    channel
        .writeAndFlush(new TextWebSocketFrame(ByteBufUtil.writeUtf8(channel.alloc(), text)))
        .addListener(completion(callback));
  }

  @Override
  public void sendBinary(byte[] bytes, WriteCallback callback) {
    channel
        .writeAndFlush(new BinaryWebSocketFrame(Unpooled.wrappedBuffer(bytes)))
        .addListener(completion(callback));
  }

  @Override
  public void sendClose(int code, String reason, WriteCallback callback) {
    channel.writeAndFlush(new CloseWebSocketFrame(code, reason)).addListener(completion(callback));
  }

  @Override
  public void abort() {
    channel.close();
  }

  @Override
  public void demand() {
    if (loop.inEventLoop()) {
      demandOnLoop();
    } else {
      loop.execute(demandTask);
    }
  }

  /** Completes a {@link WriteCallback} from a write's future. */
  private static final class Completion implements ChannelFutureListener {
    private final WriteCallback callback;

    Completion(WriteCallback callback) {
      this.callback = callback;
    }

    @Override
    public void operationComplete(ChannelFuture future) {
      if (future.isSuccess()) {
        callback.succeeded();
      } else {
        callback.failed(future.cause());
      }
    }
  }

  // The write queue hands the same callback to every write of a connection: adapt it once instead
  // of allocating a listener per message. Plain field: the adapter is immutable and any thread may
  // rebuild it.
  private ChannelFutureListener completion(WriteCallback callback) {
    Completion last = lastCompletion;
    if (last != null && last.callback == callback) {
      return last;
    }
    Completion c = new Completion(callback);
    lastCompletion = c;
    return c;
  }
}
