package io.servicekit.bench.client;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.LockSupport;

/**
 * A lean WebSocket client for load generation, loopback only: blocking handshakes on a few virtual
 * threads, then one selector thread reads every connection. Sends are made by the caller's thread
 * (masked frames written straight to the socket), so a load run needs two threads whatever the
 * number of connections. Written for the benchmark, not as a general client: it speaks just enough
 * of RFC 6455 for servers that behave (no extensions, answers pings, drops on close).
 */
public final class WsLoadClient implements AutoCloseable {
  /** Receives every whole data message, on the selector thread. */
  public interface Handler {
    /**
     * A text or binary message arrived at {@code nanos} (System.nanoTime of the read). The array is
     * only valid during the call.
     */
    void onMessage(Conn conn, byte[] buf, int off, int len, long nanos);
  }

  private static final String GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

  private final Selector selector;
  private final Thread loop;
  private final ConcurrentLinkedQueue<Conn> toRegister = new ConcurrentLinkedQueue<>();
  private final byte[] readArray = new byte[64 * 1024];
  private final ByteBuffer readBuf = ByteBuffer.wrap(readArray);
  private final AtomicInteger ids = new AtomicInteger();
  private final LongAdder closedByPeer = new LongAdder();
  private final LongAdder protocolErrors = new LongAdder();
  private volatile Handler handler = (c, b, o, l, n) -> {};
  private volatile boolean running = true;

  public WsLoadClient() throws IOException {
    selector = Selector.open();
    loop = Thread.ofPlatform().name("ws-load-selector").daemon().start(this::selectLoop);
  }

  /** Replaces the message handler (between runs). */
  public void handler(Handler h) {
    handler = h;
  }

  /** Connections closed by the server (close frame or end of stream) so far. */
  public long closedByPeer() {
    return closedByPeer.sum();
  }

  /** Connections dropped after a malformed frame or handshake so far. */
  public long protocolErrors() {
    return protocolErrors.sum();
  }

  /**
   * Opens {@code count} connections to {@code ws://address/path}, {@code parallelism} handshakes at
   * a time.
   *
   * @param read whether the selector reads the connection; an unread one is a stalled subscriber
   * @param receiveBuffer SO_RCVBUF to ask for before connecting, or 0 for the system default
   */
  public List<Conn> connect(
      InetSocketAddress address,
      String path,
      int count,
      int parallelism,
      boolean read,
      int receiveBuffer)
      throws IOException {
    List<Conn> conns = Collections.synchronizedList(new ArrayList<>(count));
    AtomicInteger next = new AtomicInteger();
    try (ExecutorService workers = Executors.newVirtualThreadPerTaskExecutor()) {
      List<Future<?>> tasks = new ArrayList<>();
      for (int w = 0; w < Math.min(parallelism, count); w++) {
        tasks.add(
            workers.submit(
                () -> {
                  while (next.getAndIncrement() < count) {
                    conns.add(open(address, path, read, receiveBuffer));
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
        } catch (java.util.concurrent.ExecutionException e) {
          for (Conn c : conns) {
            c.closeQuietly();
          }
          throw new IOException(
              "connecting to ws://" + hostPort(address) + path + " failed: " + e.getCause(),
              e.getCause());
        }
      }
    }
    List<Conn> sorted = new ArrayList<>(conns);
    sorted.sort((a, b) -> Integer.compare(a.id, b.id));
    return sorted;
  }

  private Conn open(InetSocketAddress address, String path, boolean read, int receiveBuffer)
      throws IOException {
    SocketChannel ch = SocketChannel.open();
    try {
      if (receiveBuffer > 0) {
        ch.setOption(StandardSocketOptions.SO_RCVBUF, receiveBuffer);
      }
      ch.setOption(StandardSocketOptions.TCP_NODELAY, true);
      ch.connect(address);
      byte[] keyBytes = new byte[16];
      ThreadLocalRandom.current().nextBytes(keyBytes);
      String key = Base64.getEncoder().encodeToString(keyBytes);
      String request =
          "GET "
              + path
              + " HTTP/1.1\r\nHost: "
              + hostPort(address)
              + "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: "
              + key
              + "\r\nSec-WebSocket-Version: 13\r\n\r\n";
      ByteBuffer req = ByteBuffer.wrap(request.getBytes(StandardCharsets.US_ASCII));
      while (req.hasRemaining()) {
        ch.write(req);
      }
      ByteBuffer in = ByteBuffer.allocate(2048);
      int headerEnd = -1;
      while (headerEnd < 0) {
        if (!in.hasRemaining() || ch.read(in) < 0) {
          throw new IOException("handshake response too long or connection closed");
        }
        headerEnd = indexOfHeaderEnd(in.array(), in.position());
      }
      String head = new String(in.array(), 0, headerEnd, StandardCharsets.ISO_8859_1);
      if (!head.startsWith("HTTP/1.1 101")) {
        throw new IOException("upgrade refused: " + head.lines().findFirst().orElse(head));
      }
      String accept = accept(key);
      if (!head.toLowerCase(java.util.Locale.ROOT)
          .contains("sec-websocket-accept: " + accept.toLowerCase(java.util.Locale.ROOT))) {
        throw new IOException("wrong Sec-WebSocket-Accept in " + head);
      }
      Conn conn = new Conn(ids.getAndIncrement(), ch, address);
      int extra = in.position() - (headerEnd + 4);
      ch.configureBlocking(false);
      if (extra > 0) {
        byte[] early = java.util.Arrays.copyOfRange(in.array(), headerEnd + 4, in.position());
        conn.early = early;
      }
      if (read) {
        toRegister.add(conn);
        selector.wakeup();
      }
      return conn;
    } catch (IOException | RuntimeException e) {
      ch.close();
      throw e;
    }
  }

  private static int indexOfHeaderEnd(byte[] b, int len) {
    for (int i = 0; i + 3 < len; i++) {
      if (b[i] == '\r' && b[i + 1] == '\n' && b[i + 2] == '\r' && b[i + 3] == '\n') {
        return i;
      }
    }
    return -1;
  }

  private static String accept(String key) {
    try {
      MessageDigest sha1 = MessageDigest.getInstance("SHA-1");
      return Base64.getEncoder()
          .encodeToString(sha1.digest((key + GUID).getBytes(StandardCharsets.US_ASCII)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  private static String hostPort(InetSocketAddress a) {
    return a.getHostString() + ":" + a.getPort();
  }

  private void selectLoop() {
    try {
      while (running) {
        Conn c;
        while ((c = toRegister.poll()) != null) {
          try {
            c.key = c.channel.register(selector, SelectionKey.OP_READ, c);
            if (c.early != null) {
              byte[] early = c.early;
              c.early = null;
              c.decoder.feed(early, 0, early.length, c.sink(System.nanoTime()));
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
          Conn conn = (Conn) key.attachment();
          if (key.isValid() && key.isReadable()) {
            readFrom(conn);
          }
        }
      }
    } catch (IOException | RuntimeException e) {
      if (running) {
        throw new IllegalStateException("selector loop failed", e);
      }
    }
  }

  private void readFrom(Conn conn) {
    try {
      for (int rounds = 0; rounds < 4; rounds++) {
        readBuf.clear();
        int n = conn.channel.read(readBuf);
        if (n < 0) {
          closedByPeer.increment();
          conn.closeQuietly();
          return;
        }
        if (n == 0) {
          return;
        }
        conn.decoder.feed(readArray, 0, n, conn.sink(System.nanoTime()));
        if (n < readArray.length) {
          return;
        }
      }
    } catch (IOException e) {
      closedByPeer.increment();
      conn.closeQuietly();
    } catch (IllegalStateException e) {
      protocolErrors.increment();
      conn.closeQuietly();
    }
  }

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
      ((Conn) key.attachment()).closeQuietly();
    }
    selector.close();
  }

  /** One client connection. Sends may come from any thread; reads happen on the selector. */
  public final class Conn {
    /** Index in the order of creation within this client. */
    public final int id;

    final SocketChannel channel;
    final InetSocketAddress server;
    final FrameDecoder decoder = new FrameDecoder();
    SelectionKey key;
    byte[] early;
    private ByteBuffer out = ByteBuffer.allocate(0);
    private int mask = ThreadLocalRandom.current().nextInt() | 1;
    private volatile boolean open = true;
    private long sendStalls;
    private long now; // read time of the frames being decoded (selector thread)
    private final FrameDecoder.Sink sink =
        new FrameDecoder.Sink() {
          @Override
          public void message(int opcode, byte[] buf, int off, int len) {
            handler.onMessage(Conn.this, buf, off, len, now);
          }

          @Override
          public void control(int opcode, byte[] buf, int off, int len) {
            if (opcode == 8) {
              closedByPeer.increment();
              closeQuietly();
            } else if (opcode == 9) {
              try {
                send(0x8A, buf, off, len);
              } catch (IOException e) {
                closeQuietly();
              }
            }
          }
        };

    Conn(int id, SocketChannel channel, InetSocketAddress server) {
      this.id = id;
      this.channel = channel;
      this.server = server;
    }

    FrameDecoder.Sink sink(long nanos) {
      now = nanos;
      return sink;
    }

    public boolean isOpen() {
      return open;
    }

    /** The local port of this connection (to find it in /proc/net/tcp). */
    public int localPort() throws IOException {
      return ((InetSocketAddress) channel.getLocalAddress()).getPort();
    }

    /** How often a send found the socket buffer full and had to wait. */
    public synchronized long sendStalls() {
      return sendStalls;
    }

    /** Sends {@code len} bytes of {@code payload} as one text message. */
    public void sendText(byte[] payload, int len) throws IOException {
      send(0x81, payload, 0, len);
    }

    private synchronized void send(int firstByte, byte[] payload, int off, int len)
        throws IOException {
      if (!open) {
        throw new IOException("connection " + id + " is closed");
      }
      int header = len < 126 ? 2 : len < 65536 ? 4 : 10;
      int total = header + 4 + len;
      if (out.capacity() < total) {
        out = ByteBuffer.allocate(Math.max(total, 256));
      }
      out.clear();
      out.put((byte) firstByte);
      if (len < 126) {
        out.put((byte) (0x80 | len));
      } else if (len < 65536) {
        out.put((byte) (0x80 | 126));
        out.putShort((short) len);
      } else {
        out.put((byte) (0x80 | 127));
        out.putLong(len);
      }
      // xorshift: a fresh masking key per frame, as RFC 6455 asks.
      int m = mask;
      m ^= m << 13;
      m ^= m >>> 17;
      m ^= m << 5;
      mask = m;
      out.putInt(m);
      byte[] arr = out.array();
      int p = out.position();
      for (int i = 0; i < len; i++) {
        arr[p + i] = (byte) (payload[off + i] ^ (m >>> (24 - 8 * (i & 3))));
      }
      out.position(p + len);
      out.flip();
      long deadline = 0;
      while (out.hasRemaining()) {
        if (channel.write(out) == 0) {
          sendStalls++;
          long t = System.nanoTime();
          if (deadline == 0) {
            deadline = t + 5_000_000_000L;
          } else if (t > deadline) {
            throw new IOException("connection " + id + ": could not send for 5 s");
          }
          LockSupport.parkNanos(50_000);
        }
      }
    }

    /** Sends a close frame (1000) and closes the socket without waiting for the answer. */
    public void close() {
      if (!open) {
        return;
      }
      try {
        byte[] code = {0x03, (byte) 0xE8};
        send(0x88, code, 0, 2);
      } catch (IOException e) {
        // closing anyway
      }
      closeQuietly();
    }

    void closeQuietly() {
      open = false;
      try {
        channel.close();
      } catch (IOException e) {
        // already gone
      }
    }
  }
}
