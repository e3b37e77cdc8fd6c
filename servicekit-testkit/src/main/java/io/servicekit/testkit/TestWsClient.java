package io.servicekit.testkit;

import io.servicekit.internal.Check;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.net.http.WebSocketHandshakeException;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import org.jspecify.annotations.Nullable;
import tools.jackson.databind.json.JsonMapper;

/**
 * A recording WebSocket client for tests, on the JDK's {@code java.net.http.WebSocket}: every
 * received message and the close are recorded in order, and the {@code await*} methods wait for
 * them with a timeout instead of sleeping.
 *
 * <pre>{@code
 * try (TestWsClient client = TestWsClient.connect(server.wsUri("/echo"))) {
 *   client.sendText("hello");
 *   assertThat(client.awaitText()).isEqualTo("hello");
 * }
 * }</pre>
 *
 * <p>With {@link Builder#autoPong(boolean)} the client answers server JSON pings with {@code
 * {"type":"pong","pingId":n}} as the Go library's TypeScript client does; pings are still recorded.
 */
public final class TestWsClient implements AutoCloseable {
  /** Default wait of the {@code await*} methods. */
  public static final Duration TIMEOUT = Duration.ofSeconds(10);

  private static final JsonMapper JSON = JsonMapper.builder().build();
  private static final HttpClient HTTP = HttpClient.newHttpClient();

  /** A received message: text or binary. */
  public sealed interface Message {}

  /** A text message. */
  public record Text(String text) implements Message {}

  /** A binary message. */
  public record Binary(byte[] bytes) implements Message {}

  /** The close frame received (or 1006 for a drop). */
  public record Close(int code, String reason) {}

  /**
   * Builds a connection: {@code TestWsClient.builder(uri).header("Origin", o).autoPong(true)
   * .connect()}. Each setter refuses a bad value at once, naming the setting and the value.
   */
  public static final class Builder {
    private final URI uri;
    private final Map<String, String> headers = new LinkedHashMap<>();
    private final List<String> subprotocols = new ArrayList<>();
    private boolean autoPong;

    private Builder(URI uri) {
      this.uri = Objects.requireNonNull(uri, "uri");
    }

    /** Adds a handshake header (e.g. {@code Origin}, {@code Authorization}). */
    public Builder header(String name, String value) {
      headers.put(
          Check.notBlank("header name", name), Objects.requireNonNull(value, "header value"));
      return this;
    }

    /** Offers {@code protocol} in {@code Sec-WebSocket-Protocol}. */
    public Builder subprotocol(String protocol) {
      subprotocols.add(Check.notBlank("subprotocol", protocol));
      return this;
    }

    /** Answers server JSON pings automatically (default off). */
    public Builder autoPong(boolean on) {
      autoPong = on;
      return this;
    }

    /**
     * Connects.
     *
     * @throws HandshakeFailed if the server answered the upgrade with an HTTP status
     */
    public TestWsClient connect() {
      return TestWsClient.connect(this);
    }
  }

  private final BlockingQueue<Message> messages = new LinkedBlockingQueue<>();
  private final CompletableFuture<Close> closed = new CompletableFuture<>();
  private final AtomicInteger pongs = new AtomicInteger();
  private final boolean autoPong;
  private volatile @Nullable WebSocket socket;

  private TestWsClient(boolean autoPong) {
    this.autoPong = autoPong;
  }

  /** A builder for a connection to {@code uri}. */
  public static Builder builder(URI uri) {
    return new Builder(uri);
  }

  /**
   * Connects to {@code uri} with no extra headers.
   *
   * @throws HandshakeFailed if the server answered the upgrade with an HTTP status
   */
  public static TestWsClient connect(URI uri) {
    return builder(uri).connect();
  }

  private static TestWsClient connect(Builder options) {
    URI uri = options.uri;
    TestWsClient client = new TestWsClient(options.autoPong);
    WebSocket.Builder builder = HTTP.newWebSocketBuilder().connectTimeout(TIMEOUT);
    options.headers.forEach(builder::header);
    if (!options.subprotocols.isEmpty()) {
      builder.subprotocols(
          options.subprotocols.get(0),
          options.subprotocols.subList(1, options.subprotocols.size()).toArray(String[]::new));
    }
    try {
      client.socket =
          builder
              .buildAsync(uri, client.new Listener())
              .get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
      return client;
    } catch (ExecutionException e) {
      if (e.getCause() instanceof WebSocketHandshakeException h) {
        throw new HandshakeFailed(
            h.getResponse().statusCode(),
            h.getResponse().body() == null ? "" : String.valueOf(h.getResponse().body()),
            h.getResponse().headers().map());
      }
      throw new IllegalStateException("connect to " + uri + " failed", e.getCause());
    } catch (InterruptedException | TimeoutException e) {
      throw new IllegalStateException("connect to " + uri + " failed", e);
    }
  }

  /**
   * The server refused the upgrade: its status, headers (e.g. {@code WWW-Authenticate}) and body.
   */
  public static final class HandshakeFailed extends RuntimeException {
    private final int status;
    private final String body;
    private final Map<String, List<String>> headers;

    HandshakeFailed(int status, String body, Map<String, List<String>> headers) {
      super("handshake failed with HTTP " + status + ": " + body);
      this.status = status;
      this.body = body;
      TreeMap<String, List<String>> copy = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
      headers.forEach((name, values) -> copy.put(name, List.copyOf(values)));
      this.headers = Collections.unmodifiableMap(copy);
    }

    public int status() {
      return status;
    }

    /** The response body as the JDK client received it; empty if there was none. */
    public String body() {
      return body;
    }

    /** The response headers of the refusal; names are case-insensitive. */
    public Map<String, List<String>> headers() {
      return headers;
    }

    /** The first value of response header {@code name}, if present. */
    public Optional<String> header(String name) {
      List<String> values = headers.get(name);
      return values == null || values.isEmpty() ? Optional.empty() : Optional.of(values.get(0));
    }
  }

  /** The socket; connect() sets it before it returns the client. */
  private WebSocket socket() {
    WebSocket s = socket;
    if (s == null) {
      throw new IllegalStateException("not connected yet");
    }
    return s;
  }

  /** The subprotocol the server chose, or an empty string. */
  public String subprotocol() {
    return socket().getSubprotocol();
  }

  public void sendText(String text) {
    join(socket().sendText(text, true));
  }

  /** Serialises {@code value} with Jackson and sends it as text. */
  public void sendJson(Object value) {
    sendText(JSON.writeValueAsString(value));
  }

  public void sendBinary(byte[] bytes) {
    join(socket().sendBinary(ByteBuffer.wrap(bytes), true));
  }

  /** Sends a protocol-level ping frame. */
  public void sendPing(byte[] payload) {
    join(socket().sendPing(ByteBuffer.wrap(payload)));
  }

  /** Sends an unsolicited protocol-level pong frame (a heartbeat, RFC 6455 §5.5.3). */
  public void sendPong(byte[] payload) {
    join(socket().sendPong(ByteBuffer.wrap(payload)));
  }

  /** Protocol-level pongs received so far. */
  public int pongsReceived() {
    return pongs.get();
  }

  /** Waits for the next message. */
  public Message awaitMessage() {
    return awaitMessage(TIMEOUT);
  }

  /** Waits up to {@code timeout} for the next message. */
  public Message awaitMessage(Duration timeout) {
    try {
      Message m = messages.poll(timeout.toMillis(), TimeUnit.MILLISECONDS);
      if (m == null) {
        throw new AssertionError(
            "no message within "
                + timeout
                + (closed.isDone() ? "; closed with " + closed.join() : ""));
      }
      return m;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError("interrupted", e);
    }
  }

  /** Waits for the next message and expects text. */
  public String awaitText() {
    Message m = awaitMessage();
    if (m instanceof Text t) {
      return t.text();
    }
    throw new AssertionError("expected a text message, got " + m);
  }

  /** Waits for the next message and expects binary. */
  public byte[] awaitBinary() {
    Message m = awaitMessage();
    if (m instanceof Binary b) {
      return b.bytes();
    }
    throw new AssertionError("expected a binary message, got " + m);
  }

  /** Waits for the next text message and parses it as a JSON object. */
  @SuppressWarnings("unchecked")
  public Map<String, Object> awaitJson() {
    return JSON.readValue(awaitText(), Map.class);
  }

  /** Waits for the next JSON message whose {@code type} is {@code type}, skipping others. */
  public Map<String, Object> awaitJsonOfType(String type) {
    long deadline = System.nanoTime() + TIMEOUT.toNanos();
    while (true) {
      Map<String, Object> m =
          parse(awaitMessage(Duration.ofNanos(Math.max(1, deadline - System.nanoTime()))));
      if (type.equals(m.get("type"))) {
        return m;
      }
    }
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> parse(Message m) {
    if (m instanceof Text t) {
      return JSON.readValue(t.text(), Map.class);
    }
    throw new AssertionError("expected a text message, got " + m);
  }

  /** Messages received and not yet awaited. */
  public List<Message> drain() {
    List<Message> out = new ArrayList<>();
    messages.drainTo(out);
    return out;
  }

  /** Waits for the connection to close and returns the close status seen. */
  public Close awaitClose() {
    return awaitClose(TIMEOUT);
  }

  public Close awaitClose(Duration timeout) {
    try {
      return closed.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (TimeoutException e) {
      throw new AssertionError("not closed within " + timeout, e);
    } catch (InterruptedException | ExecutionException e) {
      throw new AssertionError(e);
    }
  }

  public boolean isClosed() {
    return closed.isDone();
  }

  /** Sends a close frame with {@code code} and {@code reason}. */
  public void close(int code, String reason) {
    join(socket().sendClose(code, reason));
  }

  /** Drops the TCP connection without a close frame. */
  public void abort() {
    socket().abort();
  }

  @Override
  public void close() {
    if (!socket().isOutputClosed()) {
      try {
        socket().sendClose(1000, "").get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
      } catch (Exception e) {
        // already gone
      }
    }
    socket().abort();
  }

  private static void join(CompletableFuture<WebSocket> f) {
    try {
      f.get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException | TimeoutException e) {
      throw new AssertionError("send did not complete", e);
    } catch (ExecutionException e) {
      throw new CompletionException(e.getCause());
    }
  }

  private final class Listener implements WebSocket.Listener {
    private final StringBuilder text = new StringBuilder();
    private java.io.ByteArrayOutputStream binary = new java.io.ByteArrayOutputStream();

    @Override
    public void onOpen(WebSocket webSocket) {
      webSocket.request(1);
    }

    @Override
    public @Nullable CompletionStage<?> onText(
        WebSocket webSocket, CharSequence data, boolean last) {
      text.append(data);
      if (last) {
        String message = text.toString();
        text.setLength(0);
        messages.add(new Text(message));
        if (autoPong && message.contains("\"ping\"")) {
          answerPing(webSocket, message);
        }
      }
      webSocket.request(1);
      return null;
    }

    private void answerPing(WebSocket webSocket, String message) {
      try {
        Map<?, ?> m = JSON.readValue(message, Map.class);
        if ("ping".equals(m.get("type"))) {
          webSocket.sendText("{\"type\":\"pong\",\"pingId\":" + m.get("pingId") + "}", true);
        }
      } catch (RuntimeException e) {
        // not JSON: nothing to answer
      }
    }

    @Override
    public @Nullable CompletionStage<?> onBinary(
        WebSocket webSocket, ByteBuffer data, boolean last) {
      byte[] chunk = new byte[data.remaining()];
      data.get(chunk);
      binary.writeBytes(chunk);
      if (last) {
        messages.add(new Binary(binary.toByteArray()));
        binary = new java.io.ByteArrayOutputStream();
      }
      webSocket.request(1);
      return null;
    }

    @Override
    public @Nullable CompletionStage<?> onPong(WebSocket webSocket, ByteBuffer message) {
      pongs.incrementAndGet();
      webSocket.request(1);
      return null;
    }

    @Override
    public @Nullable CompletionStage<?> onPing(WebSocket webSocket, ByteBuffer message) {
      webSocket.request(1);
      return null;
    }

    @Override
    public @Nullable CompletionStage<?> onClose(
        WebSocket webSocket, int statusCode, String reason) {
      closed.complete(new Close(statusCode, reason));
      return null;
    }

    @Override
    public void onError(WebSocket webSocket, Throwable error) {
      closed.complete(new Close(1006, String.valueOf(error)));
    }
  }
}
