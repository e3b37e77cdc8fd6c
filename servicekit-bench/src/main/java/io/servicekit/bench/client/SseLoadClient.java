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
import java.util.Locale;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;

/**
 * A lean Server-Sent Events client for load generation, loopback only: plain HTTP/1.1 {@code GET}
 * requests sent and their response heads read blocking on a few virtual threads, then one selector
 * thread reads every stream and hands each event's data to the {@link Handler} ({@link SseDecoder}
 * does the chunked transfer coding and the event framing). Written for the benchmark, not as a
 * general client: no redirects, no reconnection, no {@code Last-Event-ID}.
 */
public final class SseLoadClient implements AutoCloseable {
  /** Receives every event's data, on the selector thread. */
  public interface Handler {
    /**
     * An event arrived at {@code nanos} (System.nanoTime of the read). The array is only valid
     * during the call.
     */
    void onEvent(Stream stream, byte[] buf, int off, int len, long nanos);
  }

  private final Selector selector;
  private final Thread loop;
  private final ConcurrentLinkedQueue<Stream> toRegister = new ConcurrentLinkedQueue<>();
  private final byte[] readArray = new byte[64 * 1024];
  private final ByteBuffer readBuf = ByteBuffer.wrap(readArray);
  private final AtomicInteger ids = new AtomicInteger();
  private final LongAdder closedByPeer = new LongAdder();
  private final LongAdder protocolErrors = new LongAdder();
  private volatile Handler handler = (s, b, o, l, n) -> {};
  private volatile boolean running = true;

  public SseLoadClient() throws IOException {
    selector = Selector.open();
    loop = Thread.ofPlatform().name("sse-load-selector").daemon().start(this::selectLoop);
  }

  /** Replaces the event handler (between runs). */
  public void handler(Handler h) {
    handler = h;
  }

  /** Streams ended by the server (end of the response or of the connection) so far. */
  public long closedByPeer() {
    return closedByPeer.sum();
  }

  /** Streams dropped after a malformed response body so far. */
  public long protocolErrors() {
    return protocolErrors.sum();
  }

  /**
   * Opens {@code count} streams to {@code http://address/path}, {@code parallelism} requests at a
   * time; each has received its response head ({@code 200}, {@code text/event-stream}) on return.
   */
  public List<Stream> connect(InetSocketAddress address, String path, int count, int parallelism)
      throws IOException {
    List<Stream> streams = Collections.synchronizedList(new ArrayList<>(count));
    AtomicInteger next = new AtomicInteger();
    try (ExecutorService workers = Executors.newVirtualThreadPerTaskExecutor()) {
      List<Future<?>> tasks = new ArrayList<>();
      for (int w = 0; w < Math.min(parallelism, count); w++) {
        tasks.add(
            workers.submit(
                () -> {
                  while (next.getAndIncrement() < count) {
                    streams.add(open(address, path));
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
          for (Stream s : streams) {
            s.close();
          }
          throw new IOException(
              "opening http://" + hostPort(address) + path + " failed: " + e.getCause(),
              e.getCause());
        }
      }
    }
    List<Stream> sorted = new ArrayList<>(streams);
    sorted.sort((a, b) -> Integer.compare(a.id, b.id));
    return sorted;
  }

  private Stream open(InetSocketAddress address, String path) throws IOException {
    SocketChannel ch = SocketChannel.open();
    try {
      ch.connect(address);
      String request =
          "GET "
              + path
              + " HTTP/1.1\r\nHost: "
              + hostPort(address)
              + "\r\nAccept: text/event-stream\r\nCache-Control: no-cache\r\n\r\n";
      ByteBuffer req = ByteBuffer.wrap(request.getBytes(StandardCharsets.US_ASCII));
      while (req.hasRemaining()) {
        ch.write(req);
      }
      ByteBuffer in = ByteBuffer.allocate(4096);
      int headEnd = -1;
      while (headEnd < 0) {
        if (!in.hasRemaining() || ch.read(in) < 0) {
          throw new IOException("response head too long or connection closed");
        }
        headEnd = indexOfHeadEnd(in.array(), in.position());
      }
      String head = new String(in.array(), 0, headEnd, StandardCharsets.ISO_8859_1);
      Stream stream = new Stream(ids.getAndIncrement(), ch, checkHead(head));
      ch.configureBlocking(false);
      if (in.position() > headEnd + 4) {
        stream.early = Arrays.copyOfRange(in.array(), headEnd + 4, in.position());
      }
      toRegister.add(stream);
      selector.wakeup();
      return stream;
    } catch (IOException | RuntimeException e) {
      ch.close();
      throw e;
    }
  }

  /**
   * Checks an SSE response head and tells whether its body is chunked.
   *
   * @throws IOException naming what is wrong: not 200, not {@code text/event-stream}, or a body
   *     with a fixed length
   */
  static boolean checkHead(String head) throws IOException {
    String status = head.lines().findFirst().orElse("");
    if (!status.startsWith("HTTP/1.1 200") && !status.startsWith("HTTP/1.0 200")) {
      throw new IOException("SSE request refused: " + status);
    }
    boolean eventStream = false;
    boolean chunked = false;
    for (String line : head.lines().skip(1).toList()) {
      int colon = line.indexOf(':');
      if (colon < 0) {
        continue;
      }
      String name = line.substring(0, colon).trim().toLowerCase(Locale.ROOT);
      String value = line.substring(colon + 1).trim().toLowerCase(Locale.ROOT);
      switch (name) {
        case "content-type" -> eventStream = value.startsWith("text/event-stream");
        case "transfer-encoding" -> chunked = value.endsWith("chunked");
        case "content-length" ->
            throw new IOException("an SSE response must not have a Content-Length: " + value);
        default -> {}
      }
    }
    if (!eventStream) {
      throw new IOException("not an event stream (Content-Type): " + head);
    }
    return chunked;
  }

  private static int indexOfHeadEnd(byte[] b, int len) {
    for (int i = 0; i + 3 < len; i++) {
      if (b[i] == '\r' && b[i + 1] == '\n' && b[i + 2] == '\r' && b[i + 3] == '\n') {
        return i;
      }
    }
    return -1;
  }

  private static String hostPort(InetSocketAddress a) {
    return a.getHostString() + ":" + a.getPort();
  }

  private void selectLoop() {
    try {
      while (running) {
        Stream s;
        while ((s = toRegister.poll()) != null) {
          try {
            s.channel.register(selector, SelectionKey.OP_READ, s);
            if (s.early != null) {
              byte[] early = s.early;
              s.early = null;
              s.decode(early, early.length, System.nanoTime());
            }
          } catch (IOException | RuntimeException e) {
            s.close();
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
            readFrom((Stream) key.attachment());
          }
        }
      }
    } catch (IOException | RuntimeException e) {
      if (running) {
        throw new IllegalStateException("selector loop failed", e);
      }
    }
  }

  private void readFrom(Stream stream) {
    try {
      for (int rounds = 0; rounds < 4; rounds++) {
        readBuf.clear();
        int n = stream.channel.read(readBuf);
        if (n < 0) {
          closedByPeer.increment();
          stream.close();
          return;
        }
        if (n == 0) {
          return;
        }
        stream.decode(readArray, n, System.nanoTime());
        if (stream.decoder.ended()) {
          closedByPeer.increment();
          stream.close();
          return;
        }
        if (n < readArray.length) {
          return;
        }
      }
    } catch (IOException e) {
      closedByPeer.increment();
      stream.close();
    } catch (IllegalStateException e) {
      protocolErrors.increment();
      stream.close();
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
      ((Stream) key.attachment()).close();
    }
    selector.close();
  }

  /** One open event stream; read by the selector thread only. */
  public final class Stream {
    /** Index in the order of creation within this client. */
    public final int id;

    final SocketChannel channel;
    final SseDecoder decoder;
    byte[] early;
    private volatile boolean open = true;
    private long now; // read time of the bytes being decoded
    private final SseDecoder.Sink sink =
        (buf, off, len) -> handler.onEvent(this, buf, off, len, now);

    Stream(int id, SocketChannel channel, boolean chunked) {
      this.id = id;
      this.channel = channel;
      this.decoder = new SseDecoder(chunked);
    }

    void decode(byte[] buf, int len, long nanos) {
      now = nanos;
      decoder.feed(buf, 0, len, sink);
    }

    public boolean isOpen() {
      return open;
    }

    /** Closes the connection (the server sees the client go away). */
    public void close() {
      open = false;
      try {
        channel.close();
      } catch (IOException e) {
        // already gone
      }
    }
  }
}
