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
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;

/**
 * One upgraded connection: the last handler of its pipeline ({@code frame decoder → UTF-8 validator
 * → WebSocketFrameAggregator → this}) and the {@link Transport} its {@link WsDriver} writes to.
 *
 * <p><b>Inbound.</b> The channel's auto-read is off. One socket read may decode several messages;
 * they wait in {@link #inbound} and are handed to the driver one per {@link #demand()} (in the
 * thread that calls it), and the socket is read again only when the driver asks for more and
 * nothing is waiting. So a listener that does not keep up stops the reads and its peer's TCP window
 * fills. Protocol pings are answered at once (the next read waits until the pong is written, so a
 * ping flood is held back by TCP); pings and pongs count as liveness. A close frame waits in order
 * behind the messages before it.
 *
 * <p><b>Ending.</b> A peer's close frame is answered with the same code (unless ours went first)
 * and the TCP connection is closed once that is written. A protocol violation found by Netty's
 * decoder, the UTF-8 validator or the aggregator's size limit ends the driver at once with that
 * code (1002, 1007, 1009), writes the close frame, half-closes the socket and waits up to {@link
 * WsConfig#closeTimeout()} for the peer to go. A drop reports 1006.
 *
 * <p>The inbound queue and what is to be reported to the driver are guarded by {@link #lock} (never
 * held while calling the driver or Netty): any thread may report, one at a time, so a listener
 * thread that calls {@link #demand()} takes the next queued message in place. The other fields are
 * confined to the event loop, except {@link #lastCompletion} (a cache any thread may replace; its
 * value is immutable).
 */
public final class NettyTransport extends ChannelDuplexHandler implements Transport {
  /** The peer's close frame, queued behind the messages before it. */
  private record PeerClose(int code, String reason) {}

  private final Channel channel;
  private final EventExecutor loop;
  private final WsDriver driver;
  private final WsConfig config;
  private final Consumer<NettyTransport> onEnd;
  private final Runnable drainTask = this::drain;
  private final Runnable readTask = this::readIfWanted;
  private final ChannelFutureListener pongWritten = this::pongWritten;

  // What the driver is told, and by whom: guarded by lock, never held while calling the driver.
  private final ReentrantLock lock = new ReentrantLock();
  private final ArrayDeque<Object> inbound = new ArrayDeque<>();
  private boolean demanded;
  private boolean delivering; // a thread is reporting an event to the driver
  private boolean ended; // nothing more is queued; the end is reported (or was)
  private boolean controlSeen; // a ping or pong to report
  private @Nullable Throwable error; // a transport error to report
  private @Nullable PeerClose endStatus; // the end to report

  @SuppressWarnings("NullAway.Init") // set by handlerAdded, before any event
  private ChannelHandlerContext ctx;

  // event loop only
  private boolean opened;
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
    lock.lock();
    try {
      if (ended) {
        return;
      }
    } finally {
      lock.unlock();
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
        control();
        if (outputClosed) {
          ping.release();
        } else {
          pongsInFlight++;
          ctx.writeAndFlush(new PongWebSocketFrame(ping.content())).addListener(pongWritten);
        }
      }
      case PongWebSocketFrame pong -> {
        pong.release();
        control();
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
      transportError(cause);
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

  // Any thread may report to the driver, one at a time (delivering): the event loop for what it
  // reads, and the thread that calls demand() for what is already queued. A listener's virtual
  // thread that asks for the next message thus gets it in place, with no hop to the event loop and
  // back (the socket is read on the event loop only once the queue is empty). A peer's close frame
  // is always handled on the event loop (it writes the answer).

  private void enqueue(Object item) {
    lock.lock();
    try {
      if (ended) {
        return;
      }
      inbound.add(item);
    } finally {
      lock.unlock();
    }
    drain();
  }

  private void control() {
    lock.lock();
    try {
      if (ended || !opened) {
        return;
      }
      controlSeen = true;
    } finally {
      lock.unlock();
    }
    drain();
  }

  private void transportError(Throwable cause) {
    lock.lock();
    try {
      if (ended || !opened) {
        return;
      }
      error = cause;
    } finally {
      lock.unlock();
    }
    drain();
  }

  /**
   * Reports what waits to the driver on this thread unless another thread is at it (that one then
   * picks it up): a ping or pong, an error, the end, and the next message while the driver asks.
   * Asks the event loop to read when the driver asks and nothing waits.
   */
  private void drain() {
    boolean read = false;
    boolean hop = false;
    while (true) {
      Object next = null;
      boolean controlFrame = false;
      Throwable failure = null;
      PeerClose end = null;
      lock.lock();
      try {
        if (delivering) {
          return;
        }
        if (controlSeen) {
          controlSeen = false;
          controlFrame = true;
        } else if (error != null) {
          failure = error;
          error = null;
        } else if (endStatus != null) {
          end = endStatus;
          endStatus = null;
        } else if (ended || !demanded) {
          break;
        } else {
          Object head = inbound.peek();
          if (head == null) {
            read = true;
            break;
          }
          if (head instanceof PeerClose && !loop.inEventLoop()) {
            hop = true;
            break;
          }
          next = inbound.poll();
          demanded = false;
        }
        delivering = true;
      } finally {
        lock.unlock();
      }
      try {
        if (controlFrame) {
          driver.onControlFrame();
        } else if (failure != null) {
          driver.onTransportError(failure);
        } else if (end != null) {
          driver.onClosed(end.code(), end.reason());
        } else if (next != null) {
          deliver(next);
        }
      } finally {
        lock.lock();
        try {
          delivering = false;
        } finally {
          lock.unlock();
        }
      }
    }
    if (hop) {
      loop.execute(drainTask);
    } else if (read) {
      if (loop.inEventLoop()) {
        readIfWanted();
      } else {
        loop.execute(readTask);
      }
    }
  }

  private void deliver(Object item) {
    switch (item) {
      case String text -> driver.onText(text);
      case byte[] bytes -> driver.onBinary(bytes);
      case PeerClose close -> peerClosed(close.code(), close.reason());
      default -> throw new IllegalStateException("unexpected inbound item " + item);
    }
  }

  /** On the event loop: reads on if the driver asks, nothing waits and no pong is pending. */
  private void readIfWanted() {
    boolean wanted;
    lock.lock();
    try {
      wanted = demanded && !ended && inbound.isEmpty();
    } finally {
      lock.unlock();
    }
    if (wanted && pongsInFlight == 0) {
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
    transportError(cause);
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

  /** On the event loop: the connection ended; the driver learns it after what it is told now. */
  private void end(int code, String reason) {
    lock.lock();
    try {
      if (ended) {
        return;
      }
      ended = true;
      inbound.clear();
      if (opened) {
        endStatus = new PeerClose(code, reason);
      }
    } finally {
      lock.unlock();
    }
    drain();
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
    lock.lock();
    try {
      demanded = true;
    } finally {
      lock.unlock();
    }
    drain();
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
