package io.servicekit.testkit;

import io.servicekit.internal.Check;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import org.jspecify.annotations.Nullable;

/**
 * A WebSocket client on a plain {@link Socket} for protocol conformance tests: it writes exactly
 * the bytes it is told to, well-formed or not, and reads what the server answers, byte for byte.
 *
 * <ul>
 *   <li><b>Handshake</b>: {@link #upgrade(Upgrade)} sends an upgrade request built with {@link
 *       Upgrade} (any method, version and headers, duplicates allowed), {@link #request(String)}
 *       sends a raw string; both parse the response's status line, headers and body ({@code
 *       Content-Length} or chunked). {@link #open(URI)} is the one-line happy path.
 *   <li><b>Frames out</b>: {@link #send(RawFrame...)} writes any {@link RawFrame} (bad RSV bits,
 *       reserved opcodes, unmasked, non-minimal or lying lengths, fragments), {@link
 *       #write(byte[])} writes raw bytes, and {@link #writeInChunks(byte[], int)} splits them over
 *       several TCP writes (one byte per write for a slow trickle). {@code TCP_NODELAY} is on, so
 *       each write leaves at once.
 *   <li><b>Frames in</b>: {@link #readFrame(Duration)} returns the next frame as sent by the server
 *       (a timeout never loses bytes: the frame is read again by the next call), {@link
 *       #awaitMessage()} reassembles fragments, {@link #awaitClose()} reads up to the server's
 *       close frame and answers it; the code is 1006 when the connection ended without one.
 *   <li><b>Slow consumer</b>: simply never call a read method; connect with a small receive buffer
 *       ({@code RawWsClient.builder(uri).receiveBufferSize(4096).connect()}) so that the TCP window
 *       fills quickly.
 * </ul>
 *
 * <pre>{@code
 * try (RawWsClient ws = RawWsClient.open(server.wsUri("/echo"))) {
 *   ws.send(RawFrame.text("Hel").fin(false), RawFrame.continuation("lo".getBytes(UTF_8)));
 *   assertThat(ws.awaitText()).isEqualTo("Hello");
 *   ws.send(RawFrame.text("x").unmasked());
 *   assertThat(ws.awaitClose().code()).isEqualTo(1002);
 * }
 * }</pre>
 *
 * <p>Not thread-safe: one test thread drives one client. Failures to observe what a test waits for
 * (timeout, unexpected frame) are reported as {@link AssertionError}s; I/O errors as {@link
 * UncheckedIOException}.
 */
public final class RawWsClient implements AutoCloseable {
  /** Default wait of the reading methods. */
  public static final Duration TIMEOUT = Duration.ofSeconds(10);

  /** The GUID of RFC 6455 §1.3 used to compute {@code Sec-WebSocket-Accept}. */
  public static final String ACCEPT_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

  /** Largest response header block accepted (a bigger one fails the test). */
  private static final int MAX_HEADER_BYTES = 1 << 20;

  /** Largest single frame accepted from the server. */
  private static final int MAX_FRAME_BYTES = 256 << 20;

  private static final SecureRandom RANDOM = new SecureRandom();

  private final Socket socket;
  private final URI uri;
  private final InputStream in;
  private final OutputStream out;
  private byte[] buf = new byte[16 * 1024];
  private int start;
  private int end;
  private boolean eof;
  private boolean closeSent;

  private RawWsClient(Socket socket, URI uri) throws IOException {
    this.socket = socket;
    this.uri = uri;
    this.in = socket.getInputStream();
    this.out = socket.getOutputStream();
  }

  // ------------------------------------------------------------------ connecting

  /**
   * Builds a connection: {@code RawWsClient.builder(uri).receiveBufferSize(4096).connect()}. Each
   * setter refuses a bad value at once, naming the setting and the value.
   */
  public static final class Builder {
    private final URI uri;
    private int receiveBufferSize; // 0: the system default

    private Builder(URI uri) {
      this.uri = Objects.requireNonNull(uri, "uri");
      if (isSecure(uri)) {
        throw new IllegalArgumentException("RawWsClient speaks plain TCP only: " + uri);
      }
      if (uri.getHost() == null) {
        throw Check.fail("uri", "must name a host", uri);
      }
    }

    /**
     * {@code SO_RCVBUF} in bytes, set before connecting; default: the system's. A small buffer
     * makes a client that does not read fill its TCP window quickly.
     */
    public Builder receiveBufferSize(int bytes) {
      receiveBufferSize = Check.positive("receiveBufferSize", bytes);
      return this;
    }

    /**
     * Opens the TCP connection to the host and port of the URI ({@code ws}, {@code http}: port 80
     * by default); nothing is sent yet.
     */
    public RawWsClient connect() {
      return RawWsClient.connect(this);
    }

    /**
     * Connects and performs the upgrade {@code request}, which must succeed (see {@link
     * RawWsClient#open(URI)}).
     */
    public RawWsClient open(Upgrade request) {
      return RawWsClient.open(connect(), request);
    }
  }

  /** A builder for a connection to {@code uri} (plain {@code ws} or {@code http}). */
  public static Builder builder(URI uri) {
    return new Builder(uri);
  }

  /**
   * Opens a TCP connection to the host and port of {@code uri} ({@code ws}, {@code http}: port 80
   * by default) with the defaults; nothing is sent yet.
   */
  public static RawWsClient connect(URI uri) {
    return builder(uri).connect();
  }

  private static RawWsClient connect(Builder options) {
    URI uri = options.uri;
    int port = uri.getPort() != -1 ? uri.getPort() : 80;
    Socket socket = new Socket();
    try {
      if (options.receiveBufferSize > 0) {
        socket.setReceiveBufferSize(options.receiveBufferSize);
      }
      socket.setTcpNoDelay(true);
      socket.connect(new InetSocketAddress(uri.getHost(), port), (int) TIMEOUT.toMillis());
      return new RawWsClient(socket, uri);
    } catch (IOException e) {
      closeQuietly(socket);
      throw new UncheckedIOException("connect to " + uri + " failed", e);
    }
  }

  /**
   * Connects and performs a standard upgrade ({@link Upgrade#to(URI)}).
   *
   * @throws AssertionError if the server does not answer 101 with the right {@code
   *     Sec-WebSocket-Accept}
   */
  public static RawWsClient open(URI uri) {
    return open(uri, Upgrade.to(uri));
  }

  /** Connects and performs the upgrade {@code request}, which must succeed (see {@link #open}). */
  public static RawWsClient open(URI uri, Upgrade request) {
    return open(connect(uri), request);
  }

  private static RawWsClient open(RawWsClient client, Upgrade request) {
    try {
      Response response = client.upgrade(request);
      response.assertSwitched(request.key());
      return client;
    } catch (RuntimeException | AssertionError e) {
      client.close();
      throw e;
    }
  }

  /** The URI this client connected to. */
  public URI uri() {
    return uri;
  }

  /** The underlying socket (e.g. for {@link Socket#getLocalPort()}). */
  public Socket socket() {
    return socket;
  }

  // ------------------------------------------------------------------ handshake

  /** Sends {@code request} and reads the response. */
  public Response upgrade(Upgrade request) {
    return request(request.toString());
  }

  /**
   * Sends {@code rawRequest} as it is (ISO-8859-1; it must end its header block with an empty line
   * to be complete) and reads the response within {@link #TIMEOUT}.
   */
  public Response request(String rawRequest) {
    write(rawRequest.getBytes(StandardCharsets.ISO_8859_1));
    return readResponse(TIMEOUT);
  }

  /**
   * Reads one HTTP response: status line, headers and, with {@code Content-Length} or chunked
   * encoding, the body. After a 101 the bytes that follow the header block stay buffered as frames.
   *
   * @throws AssertionError if no complete response arrives within {@code timeout}
   */
  public Response readResponse(Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    try {
      int headerEnd;
      while ((headerEnd = indexOf(CRLFCRLF)) < 0) {
        if (end - start > MAX_HEADER_BYTES) {
          throw new AssertionError("response header block larger than " + MAX_HEADER_BYTES);
        }
        if (!fill(deadline)) {
          throw new AssertionError(
              "connection closed before a complete response; got: "
                  + new String(buf, start, end - start, StandardCharsets.ISO_8859_1));
        }
      }
      String head = new String(buf, start, headerEnd - start, StandardCharsets.ISO_8859_1);
      start = headerEnd + CRLFCRLF.length;
      String[] lines = head.split("\r\n", -1);
      String[] status = lines[0].split(" ", 3);
      if (status.length < 2 || !status[0].startsWith("HTTP/")) {
        throw new AssertionError("not an HTTP status line: " + lines[0]);
      }
      List<Map.Entry<String, String>> headers = new ArrayList<>();
      for (int i = 1; i < lines.length; i++) {
        int colon = lines[i].indexOf(':');
        if (colon <= 0) {
          throw new AssertionError("malformed response header line: " + lines[i]);
        }
        headers.add(
            Map.entry(lines[i].substring(0, colon).trim(), lines[i].substring(colon + 1).trim()));
      }
      Response partial =
          new Response(
              status[0],
              Integer.parseInt(status[1]),
              status.length > 2 ? status[2] : "",
              List.copyOf(headers),
              new byte[0]);
      byte[] body = new byte[0];
      Optional<String> length = partial.header("Content-Length");
      boolean chunked =
          partial
              .header("Transfer-Encoding")
              .map(v -> v.toLowerCase(Locale.ROOT).contains("chunked"))
              .orElse(false);
      if (partial.status() >= 200 && chunked) {
        body = readChunked(deadline);
      } else if (partial.status() >= 200 && length.isPresent()) {
        body = readExactly(Integer.parseInt(length.get().trim()), deadline);
      }
      return new Response(
          partial.version(), partial.status(), partial.reason(), partial.headers(), body);
    } catch (SocketTimeoutException e) {
      throw new AssertionError("no complete HTTP response within " + timeout, e);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static final byte[] CRLFCRLF = {'\r', '\n', '\r', '\n'};
  private static final byte[] CRLF = {'\r', '\n'};

  private byte[] readChunked(long deadline) throws IOException {
    ByteArrayOutputStream body = new ByteArrayOutputStream();
    while (true) {
      String sizeLine = readLine(deadline);
      int semi = sizeLine.indexOf(';');
      int size = Integer.parseInt((semi < 0 ? sizeLine : sizeLine.substring(0, semi)).trim(), 16);
      if (size == 0) {
        while (!readLine(deadline).isEmpty()) {
          // trailers
        }
        return body.toByteArray();
      }
      body.writeBytes(readExactly(size, deadline));
      readLine(deadline);
    }
  }

  private String readLine(long deadline) throws IOException {
    int i;
    while ((i = indexOf(CRLF)) < 0) {
      if (!fill(deadline)) {
        throw new AssertionError("connection closed inside a chunked body");
      }
    }
    String line = new String(buf, start, i - start, StandardCharsets.ISO_8859_1);
    start = i + 2;
    return line;
  }

  private byte[] readExactly(int n, long deadline) throws IOException {
    while (end - start < n) {
      if (!fill(deadline)) {
        throw new AssertionError(
            "connection closed after " + (end - start) + " of " + n + " body bytes");
      }
    }
    byte[] b = new byte[n];
    System.arraycopy(buf, start, b, 0, n);
    start += n;
    return b;
  }

  // ------------------------------------------------------------------ writing

  /** Writes the frames in one TCP write. */
  public void send(RawFrame... frames) {
    for (RawFrame f : frames) {
      if (f.isClose()) {
        closeSent = true;
      }
    }
    write(RawFrame.encodeAll(frames));
  }

  /** Sends a final, masked text frame. */
  public void sendText(String text) {
    send(RawFrame.text(text));
  }

  /** Sends a final, masked binary frame. */
  public void sendBinary(byte[] bytes) {
    send(RawFrame.binary(bytes));
  }

  /** Sends a masked ping. */
  public void sendPing(byte[] payload) {
    send(RawFrame.ping(payload));
  }

  /** Sends a masked close frame with {@code code} and {@code reason}. */
  public void sendClose(int code, String reason) {
    send(RawFrame.close(code, reason));
  }

  /** Writes {@code bytes} in one write and flushes. */
  public void write(byte[] bytes) {
    try {
      out.write(bytes);
      out.flush();
    } catch (IOException e) {
      throw new UncheckedIOException("write of " + bytes.length + " bytes failed", e);
    }
  }

  /** Writes {@code bytes} in pieces of {@code chunkSize}, each its own write and flush. */
  public void writeInChunks(byte[] bytes, int chunkSize) {
    if (chunkSize <= 0) {
      throw new IllegalArgumentException("chunkSize must be positive: " + chunkSize);
    }
    try {
      for (int i = 0; i < bytes.length; i += chunkSize) {
        out.write(bytes, i, Math.min(chunkSize, bytes.length - i));
        out.flush();
      }
    } catch (IOException e) {
      throw new UncheckedIOException("chunked write failed", e);
    }
  }

  /** Half-closes: sends FIN on the TCP connection, reading stays possible. */
  public void shutdownOutput() {
    try {
      socket.shutdownOutput();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Drops the connection with a TCP RST (linger 0), without a close frame. */
  public void reset() {
    try {
      socket.setSoLinger(true, 0);
    } catch (SocketException e) {
      // closing anyway
    }
    closeQuietly(socket);
  }

  // ------------------------------------------------------------------ reading

  /** {@link #readFrame(Duration)} with {@link #TIMEOUT}. */
  public RawFrame readFrame() {
    return readFrame(TIMEOUT);
  }

  /**
   * Reads the next frame exactly as the server sent it (control frames included, fragments not
   * joined).
   *
   * @throws AssertionError if no complete frame arrives within {@code timeout} (the bytes read so
   *     far stay buffered) or the connection ends first
   */
  public RawFrame readFrame(Duration timeout) {
    RawFrame f = nextFrame(System.nanoTime() + timeout.toNanos(), timeout);
    if (f == null) {
      throw new AssertionError(
          "connection closed by the server without a further frame"
              + (end > start ? " (" + (end - start) + " bytes of a partial frame)" : ""));
    }
    return f;
  }

  /** {@link #awaitMessage(Duration)} with {@link #TIMEOUT}. */
  public Message awaitMessage() {
    return awaitMessage(TIMEOUT);
  }

  /**
   * Reads the next data message, joining fragments and skipping pings and pongs (they are not
   * answered).
   *
   * @throws AssertionError on a timeout, a close frame (with its code), the end of the connection,
   *     or a frame sequence no server may send
   */
  public Message awaitMessage(Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    int opcode = -1;
    ByteArrayOutputStream data = new ByteArrayOutputStream();
    while (true) {
      RawFrame f = nextFrame(deadline, timeout);
      if (f == null) {
        throw new AssertionError("connection closed by the server before a message");
      }
      if (f.isClose()) {
        throw new AssertionError(
            "expected a message, got close " + f.closeCode() + " " + f.closeReason());
      }
      if (f.opcode() == RawFrame.PING || f.opcode() == RawFrame.PONG) {
        continue;
      }
      if (opcode == -1) {
        if (f.opcode() == RawFrame.CONTINUATION) {
          throw new AssertionError("server sent a continuation without a start: " + f);
        }
        opcode = f.opcode();
      } else if (f.opcode() != RawFrame.CONTINUATION) {
        throw new AssertionError("server started a new message inside a fragmented one: " + f);
      }
      data.writeBytes(f.payload());
      if (f.fin()) {
        return new Message(opcode, data.toByteArray());
      }
    }
  }

  /** Reads the next data message and expects it to be text. */
  public String awaitText() {
    Message m = awaitMessage();
    if (m.opcode() != RawFrame.TEXT) {
      throw new AssertionError("expected a text message, got " + m);
    }
    return m.text();
  }

  /** Reads the next data message and expects it to be binary. */
  public byte[] awaitBinary() {
    Message m = awaitMessage();
    if (m.opcode() != RawFrame.BINARY) {
      throw new AssertionError("expected a binary message, got " + m);
    }
    return m.payload();
  }

  /** {@link #awaitClose(Duration, boolean)} with {@link #TIMEOUT}, answering the close. */
  public Close awaitClose() {
    return awaitClose(TIMEOUT, true);
  }

  /**
   * Reads frames until the server's close frame (data frames and pings on the way are discarded) or
   * the end of the connection.
   *
   * @param reply whether to answer the server's close frame with a close frame carrying the same
   *     code, as RFC 6455 §5.5.1 asks (skipped if this client already sent a close frame, if the
   *     code is not one that may be sent, or if the connection is gone)
   * @return the server's code and reason; 1005 for an empty close frame; 1006 when the connection
   *     ended (EOF or reset) without a close frame
   * @throws AssertionError if neither happens within {@code timeout}
   */
  public Close awaitClose(Duration timeout, boolean reply) {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (true) {
      RawFrame f = nextFrame(deadline, timeout);
      if (f == null) {
        return new Close(1006, "", false);
      }
      if (f.isClose()) {
        int code = f.closeCode();
        if (reply && !closeSent && code >= 1000 && code != 1005 && code != 1006) {
          try {
            send(RawFrame.close(code, ""));
          } catch (UncheckedIOException e) {
            // the server may already have dropped the connection
          }
        }
        return new Close(code, f.closeReason(), true);
      }
    }
  }

  /**
   * Waits until the server ends the TCP connection (EOF or reset), discarding whatever arrives
   * before; {@code true} if it did within {@code timeout}.
   */
  public boolean awaitEof(Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    try {
      while (true) {
        start = end; // discard
        if (!fill(deadline)) {
          return true;
        }
      }
    } catch (SocketTimeoutException e) {
      return false;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Bytes received and not yet consumed by a read method. */
  public int buffered() {
    return end - start;
  }

  /** Closes the socket (no close frame). */
  @Override
  public void close() {
    closeQuietly(socket);
  }

  /** The next frame, or null at EOF; AssertionError on timeout. */
  private @Nullable RawFrame nextFrame(long deadline, Duration timeout) {
    try {
      while (true) {
        long total = RawFrame.frameLength(buf, start, end - start);
        if (total > MAX_FRAME_BYTES) {
          throw new AssertionError("server frame of " + total + " bytes is too large to read");
        }
        if (total >= 0 && end - start >= total) {
          RawFrame f = RawFrame.decode(buf, start);
          start += (int) total;
          return f;
        }
        if (!fill(deadline)) {
          return null;
        }
      }
    } catch (SocketTimeoutException e) {
      throw new AssertionError(
          "no complete frame within "
              + timeout
              + (end > start ? " (" + (end - start) + " bytes buffered)" : ""),
          e);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * Reads more bytes into the buffer; false at EOF or on a reset connection. Throws {@link
   * SocketTimeoutException} at the deadline; buffered bytes are kept.
   */
  private boolean fill(long deadline) throws IOException {
    if (eof) {
      return false;
    }
    long remaining = deadline - System.nanoTime();
    if (remaining <= 0) {
      throw new SocketTimeoutException("deadline passed");
    }
    if (start == end) {
      start = 0;
      end = 0;
    }
    if (end == buf.length) {
      if (start > 0) {
        System.arraycopy(buf, start, buf, 0, end - start);
        end -= start;
        start = 0;
      } else {
        byte[] bigger = new byte[buf.length * 2];
        System.arraycopy(buf, 0, bigger, 0, end);
        buf = bigger;
      }
    }
    socket.setSoTimeout((int) Math.max(1, Math.min(Integer.MAX_VALUE, remaining / 1_000_000)));
    int n;
    try {
      n = in.read(buf, end, buf.length - end);
    } catch (SocketTimeoutException e) {
      throw e;
    } catch (SocketException e) {
      // "Connection reset" and friends: the server dropped the connection.
      eof = true;
      return false;
    }
    if (n < 0) {
      eof = true;
      return false;
    }
    end += n;
    return true;
  }

  private int indexOf(byte[] needle) {
    outer:
    for (int i = start; i <= end - needle.length; i++) {
      for (int j = 0; j < needle.length; j++) {
        if (buf[i + j] != needle[j]) {
          continue outer;
        }
      }
      return i;
    }
    return -1;
  }

  private static boolean isSecure(URI uri) {
    return "wss".equalsIgnoreCase(uri.getScheme()) || "https".equalsIgnoreCase(uri.getScheme());
  }

  private static void closeQuietly(Socket socket) {
    try {
      socket.close();
    } catch (IOException e) {
      // nothing to do
    }
  }

  /** A fresh {@code Sec-WebSocket-Key}: 16 random bytes, base64. */
  public static String newKey() {
    byte[] nonce = new byte[16];
    RANDOM.nextBytes(nonce);
    return Base64.getEncoder().encodeToString(nonce);
  }

  /** The {@code Sec-WebSocket-Accept} a server must answer to {@code key} (RFC 6455 §4.2.2). */
  public static String acceptFor(String key) {
    try {
      byte[] sha1 =
          MessageDigest.getInstance("SHA-1")
              .digest((key + ACCEPT_GUID).getBytes(StandardCharsets.ISO_8859_1));
      return Base64.getEncoder().encodeToString(sha1);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-1 is required of every JDK", e);
    }
  }

  // ------------------------------------------------------------------ value types

  /** A reassembled data message: its opcode (text or binary) and payload. */
  public record Message(int opcode, byte[] payload) {
    /** The payload as UTF-8. */
    public String text() {
      return new String(payload, StandardCharsets.UTF_8);
    }

    @Override
    public String toString() {
      return "Message[opcode=" + opcode + ", " + payload.length + " bytes]";
    }
  }

  /**
   * How the connection ended as seen by this client.
   *
   * @param code the server's close code; 1005 for an empty close frame, 1006 if none arrived
   * @param reason the server's reason, or empty
   * @param frameReceived whether a close frame arrived
   */
  public record Close(int code, String reason, boolean frameReceived) {}

  /**
   * An HTTP response as read from the wire.
   *
   * @param version e.g. {@code HTTP/1.1}
   * @param status the status code
   * @param reason the reason phrase (may be empty)
   * @param headers the header fields in order, names as sent
   * @param body the body (empty without {@code Content-Length} or chunked encoding, and for 101)
   */
  public record Response(
      String version,
      int status,
      String reason,
      List<Map.Entry<String, String>> headers,
      byte[] body) {
    /** The first value of header {@code name} (case-insensitive). */
    public Optional<String> header(String name) {
      return headers.stream()
          .filter(h -> h.getKey().equalsIgnoreCase(name))
          .map(Map.Entry::getValue)
          .findFirst();
    }

    /** Every value of header {@code name} (case-insensitive), in order. */
    public List<String> headers(String name) {
      return headers.stream()
          .filter(h -> h.getKey().equalsIgnoreCase(name))
          .map(Map.Entry::getValue)
          .toList();
    }

    /** The body as UTF-8. */
    public String bodyText() {
      return new String(body, StandardCharsets.UTF_8);
    }

    /**
     * Asserts a successful upgrade for {@code key}: 101, {@code Upgrade: websocket}, {@code
     * Connection: upgrade} and the matching {@code Sec-WebSocket-Accept}; a null {@code key} (the
     * request had none, which no server may upgrade) fails after the 101 check.
     */
    public void assertSwitched(@Nullable String key) {
      if (status != 101) {
        throw new AssertionError("expected 101, got " + this);
      }
      if (key == null) {
        throw new AssertionError(
            "101 to an upgrade request without Sec-WebSocket-Key (nothing to check"
                + " Sec-WebSocket-Accept against): "
                + this);
      }
      if (!header("Upgrade").map(v -> v.equalsIgnoreCase("websocket")).orElse(false)) {
        throw new AssertionError("101 without Upgrade: websocket: " + this);
      }
      if (!header("Connection")
          .map(v -> v.toLowerCase(Locale.ROOT).contains("upgrade"))
          .orElse(false)) {
        throw new AssertionError("101 without Connection: Upgrade: " + this);
      }
      String expected = acceptFor(key);
      if (!header("Sec-WebSocket-Accept").map(expected::equals).orElse(false)) {
        throw new AssertionError("Sec-WebSocket-Accept must be " + expected + ": " + this);
      }
    }

    @Override
    public String toString() {
      return version + " " + status + " " + reason + " " + headers + " body=" + bodyText();
    }
  }

  /**
   * An HTTP upgrade request under construction: {@link #to(URI)} starts from a valid RFC 6455
   * request, and every part can then be changed, repeated or removed. {@link #toString()} is the
   * exact request text.
   */
  public static final class Upgrade {
    private String method = "GET";
    private String target;
    private String version = "HTTP/1.1";
    private final List<Map.Entry<String, String>> headers = new ArrayList<>();

    private Upgrade(String target) {
      this.target = target;
    }

    /**
     * {@code GET <path?query> HTTP/1.1} with {@code Host}, {@code Upgrade: websocket}, {@code
     * Connection: Upgrade}, a fresh {@code Sec-WebSocket-Key} and {@code Sec-WebSocket-Version:
     * 13}.
     */
    public static Upgrade to(URI uri) {
      String path = uri.getRawPath() == null || uri.getRawPath().isEmpty() ? "/" : uri.getRawPath();
      Upgrade u = new Upgrade(uri.getRawQuery() == null ? path : path + "?" + uri.getRawQuery());
      return u.header("Host", uri.getAuthority())
          .header("Upgrade", "websocket")
          .header("Connection", "Upgrade")
          .header("Sec-WebSocket-Key", newKey())
          .header("Sec-WebSocket-Version", "13");
    }

    /** Sets the method (default GET). */
    public Upgrade method(String method) {
      this.method = method;
      return this;
    }

    /** Sets the request target (path and query). */
    public Upgrade target(String target) {
      this.target = target;
      return this;
    }

    /** Sets the protocol version of the request line (default {@code HTTP/1.1}). */
    public Upgrade version(String version) {
      this.version = version;
      return this;
    }

    /** Adds a header line, keeping any existing one of the same name. */
    public Upgrade header(String name, String value) {
      headers.add(Map.entry(name, value));
      return this;
    }

    /** Replaces every header named {@code name} (case-insensitive) with one line. */
    public Upgrade set(String name, String value) {
      int at = indexOfHeader(name);
      remove(name);
      headers.add(at < 0 ? headers.size() : Math.min(at, headers.size()), Map.entry(name, value));
      return this;
    }

    /** Removes every header named {@code name} (case-insensitive). */
    public Upgrade remove(String name) {
      headers.removeIf(h -> h.getKey().equalsIgnoreCase(name));
      return this;
    }

    /** The first {@code Sec-WebSocket-Key} value, or null. */
    public @Nullable String key() {
      int i = indexOfHeader("Sec-WebSocket-Key");
      return i < 0 ? null : headers.get(i).getValue();
    }

    private int indexOfHeader(String name) {
      for (int i = 0; i < headers.size(); i++) {
        if (headers.get(i).getKey().equalsIgnoreCase(name)) {
          return i;
        }
      }
      return -1;
    }

    /** The request text, ending with the empty line. */
    @Override
    public String toString() {
      StringBuilder sb = new StringBuilder();
      sb.append(method).append(' ').append(target).append(' ').append(version).append("\r\n");
      for (Map.Entry<String, String> h : headers) {
        sb.append(h.getKey()).append(": ").append(h.getValue()).append("\r\n");
      }
      return sb.append("\r\n").toString();
    }
  }
}
