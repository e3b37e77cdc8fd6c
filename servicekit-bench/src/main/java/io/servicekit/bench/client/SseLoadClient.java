package io.servicekit.bench.client;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.channels.SocketChannel;
import java.util.List;
import java.util.Locale;

/**
 * A lean Server-Sent Events client for load generation, loopback only: plain HTTP/1.1 {@code GET}
 * requests sent and their response heads read blocking on a few virtual threads, then one selector
 * thread reads every stream and hands each event's data to the {@link Handler} ({@link SseDecoder}
 * does the chunked transfer coding and the event framing). Written for the benchmark, not as a
 * general client: no redirects, no reconnection, no {@code Last-Event-ID}.
 */
public final class SseLoadClient extends NioLoadClient {
  /** Receives every event's data, on the selector thread. */
  public interface Handler {
    /**
     * An event arrived at {@code nanos} (System.nanoTime of the read). The array is only valid
     * during the call.
     */
    void onEvent(Stream stream, byte[] buf, int off, int len, long nanos);
  }

  private volatile Handler handler = (s, b, o, l, n) -> {};

  public SseLoadClient() throws IOException {
    super("sse-load-selector");
  }

  /** Replaces the event handler (between runs). */
  public void handler(Handler h) {
    handler = h;
  }

  /**
   * Opens {@code count} streams to {@code http://address/path}, {@code parallelism} requests at a
   * time; each has received its response head ({@code 200}, {@code text/event-stream}) on return.
   */
  public List<Stream> connect(InetSocketAddress address, String path, int count, int parallelism)
      throws IOException {
    return openAll(
        count,
        parallelism,
        "opening http://" + hostPort(address) + path,
        () -> open(address, path));
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
      Head response = exchange(ch, request, 4096, "response head too long or connection closed");
      Stream stream = new Stream(nextId(), ch, checkHead(response.text()));
      ch.configureBlocking(false);
      stream.early = response.early();
      register(stream);
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

  /** One open event stream; read by the selector thread only. */
  public final class Stream extends Connection {
    final SseDecoder decoder;
    private long now; // read time of the bytes being decoded
    private final SseDecoder.Sink sink =
        (buf, off, len) -> handler.onEvent(this, buf, off, len, now);

    Stream(int id, SocketChannel channel, boolean chunked) {
      super(id, channel);
      this.decoder = new SseDecoder(chunked);
    }

    @Override
    void decode(byte[] buf, int len, long nanos) {
      now = nanos;
      decoder.feed(buf, 0, len, sink);
    }

    @Override
    boolean ended() {
      return decoder.ended();
    }

    /** Closes the connection (the server sees the client go away). */
    public void close() {
      closeQuietly();
    }
  }
}
