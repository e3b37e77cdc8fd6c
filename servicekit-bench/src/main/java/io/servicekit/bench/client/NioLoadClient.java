package io.servicekit.bench.client;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;

/**
 * What the WebSocket and the SSE load clients share: blocking HTTP/1.1 request/response-head
 * exchanges on a few virtual threads, then one selector thread that reads every connection into one
 * 64 KiB array and hands the bytes to the connection's protocol decoder. The protocols (frame
 * decoding and masking, chunked SSE decoding) stay in the subclasses and their {@link Connection}s.
 */
abstract class NioLoadClient implements AutoCloseable {
  private final Selector selector;
  private final Thread loop;
  private final ConcurrentLinkedQueue<Connection> toRegister = new ConcurrentLinkedQueue<>();
  private final byte[] readArray = new byte[64 * 1024];
  private final ByteBuffer readBuf = ByteBuffer.wrap(readArray);
  private final AtomicInteger ids = new AtomicInteger();

  /** Connections ended by the server so far. */
  final LongAdder closedByPeer = new LongAdder();

  /** Connections dropped after malformed input so far. */
  final LongAdder protocolErrors = new LongAdder();

  private volatile boolean running = true;

  NioLoadClient(String threadName) throws IOException {
    selector = Selector.open();
    loop = Thread.ofPlatform().name(threadName).daemon().start(this::selectLoop);
  }

  /** Opens one connection (blocking; called on a virtual thread). */
  @FunctionalInterface
  interface Opener<C extends Connection> {
    C open() throws IOException;
  }

  /** The response head of a blocking request, and the bytes read past it (or null). */
  record Head(String text, byte[] early) {}

  /**
   * Runs {@code opener} {@code count} times, {@code parallelism} at a time, and returns the
   * connections in the order of their ids; on a failure closes those already open and throws an
   * IOException naming {@code what} ("connecting to ws://host:port/path").
   */
  final <C extends Connection> List<C> openAll(
      int count, int parallelism, String what, Opener<C> opener) throws IOException {
    List<C> conns = Collections.synchronizedList(new ArrayList<>(count));
    AtomicInteger next = new AtomicInteger();
    try (ExecutorService workers = Executors.newVirtualThreadPerTaskExecutor()) {
      List<Future<?>> tasks = new ArrayList<>();
      for (int w = 0; w < Math.min(parallelism, count); w++) {
        tasks.add(
            workers.submit(
                () -> {
                  while (next.getAndIncrement() < count) {
                    conns.add(opener.open());
                  }
                  return null;
                }));
      }
      for (Future<?> f : tasks) {
        try {
          f.get();
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new IOException("interrupted while connecting", e);
        } catch (ExecutionException e) {
          for (C c : conns) {
            c.closeQuietly();
          }
          throw new IOException(what + " failed: " + e.getCause(), e.getCause());
        }
      }
    }
    List<C> sorted = new ArrayList<>(conns);
    sorted.sort((a, b) -> Integer.compare(a.id, b.id));
    return sorted;
  }

  /** The id of the next connection, in the order of creation within this client. */
  final int nextId() {
    return ids.getAndIncrement();
  }

  /**
   * Writes {@code request} to the blocking channel {@code ch} and reads until the end of the
   * response head (at most {@code capacity} bytes).
   *
   * @param tooLong the message of the IOException thrown when no head end arrives in {@code
   *     capacity} bytes or the connection closes first
   */
  static Head exchange(SocketChannel ch, String request, int capacity, String tooLong)
      throws IOException {
    ByteBuffer req = ByteBuffer.wrap(request.getBytes(StandardCharsets.US_ASCII));
    while (req.hasRemaining()) {
      ch.write(req);
    }
    ByteBuffer in = ByteBuffer.allocate(capacity);
    int headEnd = -1;
    while (headEnd < 0) {
      if (!in.hasRemaining() || ch.read(in) < 0) {
        throw new IOException(tooLong);
      }
      headEnd = indexOfHeadEnd(in.array(), in.position());
    }
    String head = new String(in.array(), 0, headEnd, StandardCharsets.ISO_8859_1);
    byte[] early =
        in.position() > headEnd + 4
            ? Arrays.copyOfRange(in.array(), headEnd + 4, in.position())
            : null;
    return new Head(head, early);
  }

  /** The index of the first CRLF CRLF in {@code b[0, len)}, or -1. */
  static int indexOfHeadEnd(byte[] b, int len) {
    for (int i = 0; i + 3 < len; i++) {
      if (b[i] == '\r' && b[i + 1] == '\n' && b[i + 2] == '\r' && b[i + 3] == '\n') {
        return i;
      }
    }
    return -1;
  }

  static String hostPort(InetSocketAddress a) {
    return a.getHostString() + ":" + a.getPort();
  }

  /**
   * Connections ended by the server so far: for WebSocket a close frame or the end of the stream,
   * for SSE the end of the response or of the connection.
   */
  public final long closedByPeer() {
    return closedByPeer.sum();
  }

  /** Connections dropped after malformed input (a WebSocket frame, an SSE body) so far. */
  public final long protocolErrors() {
    return protocolErrors.sum();
  }

  /** Hands {@code c} (now non-blocking) to the selector thread to be read from. */
  final void register(Connection c) {
    toRegister.add(c);
    selector.wakeup();
  }

  private void selectLoop() {
    try {
      while (running) {
        Connection c;
        while ((c = toRegister.poll()) != null) {
          try {
            c.channel.register(selector, SelectionKey.OP_READ, c);
            if (c.early != null) {
              byte[] early = c.early;
              c.early = null;
              feed(c, early, early.length);
            }
          } catch (IOException | RuntimeException e) {
            c.closeQuietly();
          }
        }
        selector.select(50);
        var keys = selector.selectedKeys();
        if (keys.isEmpty()) {
          continue;
        }
        for (var it = keys.iterator(); it.hasNext(); ) {
          SelectionKey key = it.next();
          it.remove();
          if (key.isValid() && key.isReadable()) {
            readFrom((Connection) key.attachment());
          }
        }
      }
    } catch (IOException | RuntimeException e) {
      if (running) {
        throw new IllegalStateException("selector loop failed", e);
      }
    }
  }

  private void readFrom(Connection c) {
    try {
      for (int rounds = 0; rounds < 4; rounds++) {
        readBuf.clear();
        int n = c.channel.read(readBuf);
        if (n < 0) {
          closedByPeer.increment();
          c.closeQuietly();
          return;
        }
        if (n == 0) {
          return;
        }
        if (!feed(c, readArray, n) || n < readArray.length) {
          return;
        }
      }
    } catch (IOException e) {
      closedByPeer.increment();
      c.closeQuietly();
    }
  }

  /**
   * Decodes {@code len} bytes that {@code c} received (read from the socket, or with the response
   * head); false when that closed it: the server ended it in-band, or the bytes were malformed.
   */
  private boolean feed(Connection c, byte[] buf, int len) {
    try {
      c.decode(buf, len, System.nanoTime());
    } catch (IllegalStateException e) {
      protocolErrors.increment();
      c.closeQuietly();
      return false;
    }
    if (c.ended()) {
      closedByPeer.increment();
      c.closeQuietly();
      return false;
    }
    return true;
  }

  /** Stops the selector thread and closes every connection it reads. */
  @Override
  public void close() throws IOException {
    running = false;
    selector.wakeup();
    try {
      loop.join(2000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    for (SelectionKey key : selector.keys()) {
      ((Connection) key.attachment()).closeQuietly();
    }
    selector.close();
  }

  /** One connection of a load client; read by the selector thread only. */
  abstract static class Connection {
    /** Index in the order of creation within this client. */
    public final int id;

    final SocketChannel channel;
    byte[] early;
    volatile boolean open = true;

    Connection(int id, SocketChannel channel) {
      this.id = id;
      this.channel = channel;
    }

    /**
     * Decodes {@code len} bytes of {@code buf} read at {@code nanos} (System.nanoTime).
     *
     * @throws IllegalStateException on malformed input (the connection is then dropped)
     */
    abstract void decode(byte[] buf, int len, long nanos);

    /** Whether the server has ended this connection in-band (checked after each decode). */
    boolean ended() {
      return false;
    }

    public boolean isOpen() {
      return open;
    }

    final void closeQuietly() {
      open = false;
      try {
        channel.close();
      } catch (IOException e) {
        // already gone
      }
    }
  }
}
