package io.servicekit.bench.client;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.locks.LockSupport;

/**
 * A lean WebSocket client for load generation, loopback only: blocking handshakes on a few virtual
 * threads, then one selector thread reads every connection. Sends are made by the caller's thread
 * (masked frames written straight to the socket), so a load run needs two threads whatever the
 * number of connections. Written for the benchmark, not as a general client: it speaks just enough
 * of RFC 6455 for servers that behave (no extensions, answers pings, drops on close).
 */
public final class WsLoadClient extends NioLoadClient {
  /** Receives every whole data message, on the selector thread. */
  public interface Handler {
    /**
     * A text or binary message arrived at {@code nanos} (System.nanoTime of the read). The array is
     * only valid during the call.
     */
    void onMessage(Conn conn, byte[] buf, int off, int len, long nanos);
  }

  private static final String GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

  private volatile Handler handler = (c, b, o, l, n) -> {};

  public WsLoadClient() throws IOException {
    super("ws-load-selector");
  }

  /** Replaces the message handler (between runs). */
  public void handler(Handler h) {
    handler = h;
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
    return openAll(
        count,
        parallelism,
        "connecting to ws://" + hostPort(address) + path,
        () -> open(address, path, read, receiveBuffer));
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
      Head response =
          exchange(ch, request, 2048, "handshake response too long or connection closed");
      String head = response.text();
      if (!head.startsWith("HTTP/1.1 101")) {
        throw new IOException("upgrade refused: " + head.lines().findFirst().orElse(head));
      }
      String accept = accept(key);
      if (!head.toLowerCase(Locale.ROOT)
          .contains("sec-websocket-accept: " + accept.toLowerCase(Locale.ROOT))) {
        throw new IOException("wrong Sec-WebSocket-Accept in " + head);
      }
      Conn conn = new Conn(nextId(), ch, address);
      ch.configureBlocking(false);
      conn.early = response.early();
      if (read) {
        register(conn);
      }
      return conn;
    } catch (IOException | RuntimeException e) {
      ch.close();
      throw e;
    }
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

  /** One client connection. Sends may come from any thread; reads happen on the selector. */
  public final class Conn extends Connection {
    final InetSocketAddress server;
    final FrameDecoder decoder = new FrameDecoder();
    private ByteBuffer out = ByteBuffer.allocate(0);
    private int mask = ThreadLocalRandom.current().nextInt() | 1;
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
      super(id, channel);
      this.server = server;
    }

    @Override
    void decode(byte[] buf, int len, long nanos) {
      now = nanos;
      decoder.feed(buf, 0, len, sink);
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
  }
}
