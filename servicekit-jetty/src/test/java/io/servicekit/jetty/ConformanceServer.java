package io.servicekit.jetty;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.servicekit.CloseStatus;
import io.servicekit.Codec;
import io.servicekit.Hub;
import io.servicekit.JsonCodec;
import io.servicekit.Message;
import io.servicekit.Rejection;
import io.servicekit.WsConfig;
import io.servicekit.WsListener;
import io.servicekit.WsSession;
import io.servicekit.testkit.RawWsClient;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.eclipse.jetty.io.EndPoint;
import org.eclipse.jetty.server.ServerConnector;

/**
 * The server the conformance tests throw bad input at, with one endpoint per concern:
 *
 * <ul>
 *   <li>{@code /echo}: a raw echo ({@link Codec#raw()}) limited to {@link #LIMIT} bytes per
 *       message, speaking subprotocols {@code chat.v2} and {@code chat.v1} (in that preference);
 *   <li>{@code /auth}: {@code accept} refuses with 401 and {@code WWW-Authenticate} unless {@code
 *       ?token=letmein};
 *   <li>{@code /json}: a JSON {@link io.servicekit.WsListener} echoing every decoded value with
 *       {@code send};
 *   <li>{@code /feed}: a broadcast hub with a 256 KiB outgoing budget per member; any text message
 *       broadcasts {@link #CHUNK} bytes to every member;
 *   <li>{@code /idle}: a raw echo with a short heartbeat window ({@link #PONG_PERIOD}).
 * </ul>
 *
 * Every connection is registered under its {@code ?id=} query parameter, so a test finds the
 * server-side object of its own client and can check how many times {@code onClose} ran.
 */
final class ConformanceServer implements AutoCloseable {
  /**
   * Message size limit of {@code /echo}: above Jetty's own 64 KiB frame default, so a one-frame
   * message of the full limit proves that ServiceKit's limit, not Jetty's, applies.
   */
  static final int LIMIT = 100 * 1024;

  /** Outgoing budget of a {@code /feed} member. */
  static final int FEED_BUDGET = 256 * 1024;

  /** Size of one {@code /feed} broadcast. */
  static final int CHUNK = 64 * 1024;

  /** Inbound silence after which {@code /idle} gives up on a peer. */
  static final Duration PONG_PERIOD = Duration.ofMillis(500);

  private final ServiceKitServer server;
  private final Map<String, Tracked> conns = new ConcurrentHashMap<>();
  private final Hub<Message> feed = new Hub<>();

  /** What a test can observe of a server-side connection. */
  interface Tracked {
    CloseLog log();

    boolean isOpen();
  }

  /** Counts {@code onClose} calls and keeps the last status. */
  static final class CloseLog {
    private final AtomicInteger closes = new AtomicInteger();
    private volatile CloseStatus status;

    void record(CloseStatus s) {
      status = s;
      closes.incrementAndGet();
    }

    int count() {
      return closes.get();
    }

    CloseStatus status() {
      return status;
    }
  }

  /** A raw echo that records its closes. */
  static final class EchoConn implements WsListener<Message, Message>, Tracked {
    @Override
    public Codec<Message, Message> codec() {
      return Codec.raw();
    }

    @Override
    public String name() {
      return "Echo";
    }

    private final CloseLog log = new CloseLog();
    private volatile WsSession<Message> session; // set by onOpen

    @Override
    public boolean isOpen() {
      WsSession<Message> s = session;
      return s != null && s.isOpen();
    }

    @Override
    public void onOpen(WsSession<Message> session) {
      this.session = session;
    }

    @Override
    public void onMessage(WsSession<Message> session, Message message) {
      session.send(message);
    }

    @Override
    public void onClose(WsSession<Message> session, CloseStatus status) {
      log.record(status);
    }

    @Override
    public CloseLog log() {
      return log;
    }
  }

  /** A JSON echo that records its closes. */
  static final class JsonEcho implements WsListener<Object, Object>, Tracked {
    @Override
    public Codec<Object, Object> codec() {
      return JsonCodec.INSTANCE;
    }

    @Override
    public String name() {
      return "JsonEcho";
    }

    private final CloseLog log = new CloseLog();
    private volatile WsSession<Object> session; // set by onOpen

    @Override
    public boolean isOpen() {
      WsSession<Object> s = session;
      return s != null && s.isOpen();
    }

    @Override
    public void onOpen(WsSession<Object> session) {
      this.session = session;
    }

    @Override
    public void onMessage(WsSession<Object> session, Object message) {
      session.send(message);
    }

    @Override
    public void onClose(WsSession<Object> session, CloseStatus status) {
      log.record(status);
    }

    @Override
    public CloseLog log() {
      return log;
    }
  }

  /** A hub member: any text message asks for one broadcast of {@link #CHUNK} bytes. */
  final class FeedConn implements WsListener<Message, Message>, Tracked {
    @Override
    public Codec<Message, Message> codec() {
      return Codec.raw();
    }

    @Override
    public String name() {
      return "Feed";
    }

    private final CloseLog log = new CloseLog();
    private volatile WsSession<Message> session; // set by onOpen

    @Override
    public boolean isOpen() {
      WsSession<Message> s = session;
      return s != null && s.isOpen();
    }

    @Override
    public void onOpen(WsSession<Message> session) {
      this.session = session;
      feed.register(session);
    }

    @Override
    public void onMessage(WsSession<Message> session, Message message) {
      feed.broadcast(Message.binary(new byte[CHUNK]));
    }

    @Override
    public void onClose(WsSession<Message> session, CloseStatus status) {
      log.record(status);
    }

    @Override
    public CloseLog log() {
      return log;
    }
  }

  /** A client and the server-side connection it opened. */
  record Opened(RawWsClient client, Tracked conn) implements AutoCloseable {
    @Override
    public void close() {
      client.close();
    }
  }

  private ConformanceServer(Duration httpIdleTimeout, int acceptedSendBufferSize) throws Exception {
    WsConfig echo =
        WsConfig.builder()
            .maxMessageSize(LIMIT)
            .subprotocols(List.of("chat.v2", "chat.v1"))
            .closeTimeout(Duration.ofSeconds(2))
            .build();
    WsConfig feedConfig =
        WsConfig.builder().maxQueuedBytes(FEED_BUDGET).closeTimeout(Duration.ofSeconds(1)).build();
    WsConfig idle =
        WsConfig.builder().pingPeriod(Duration.ofMillis(200)).pongPeriod(PONG_PERIOD).build();
    server =
        ServiceKitServer.builder()
            .port(0)
            .idleTimeout(httpIdleTimeout)
            .stopTimeout(Duration.ofSeconds(2))
            .ws("/echo", r -> track(r.queryParam("id"), new EchoConn()), echo)
            .ws(
                "/auth",
                r -> {
                  if (!r.queryParam("token").orElse("").equals("letmein")) {
                    throw Rejection.of(401, "missing or wrong token")
                        .header("WWW-Authenticate", "Bearer realm=\"servicekit\"");
                  }
                  return track(r.queryParam("id"), new EchoConn());
                })
            .ws("/json", r -> track(r.queryParam("id"), new JsonEcho()))
            .ws("/feed", r -> track(r.queryParam("id"), new FeedConn()), feedConfig)
            .ws("/idle", r -> track(r.queryParam("id"), new EchoConn()), idle)
            .build();
    connector().setAcceptedSendBufferSize(acceptedSendBufferSize);
    server.start();
  }

  static ConformanceServer start() throws Exception {
    return new ConformanceServer(Duration.ofSeconds(120), -1);
  }

  /** A server whose HTTP connections (before an upgrade) time out after {@code idle}. */
  static ConformanceServer start(Duration httpIdleTimeout) throws Exception {
    return new ConformanceServer(httpIdleTimeout, -1);
  }

  /**
   * A server whose accepted sockets have {@code SO_SNDBUF} fixed at {@code bytes}, which turns off
   * the kernel's send-buffer autotuning: what the server can push into a peer that does not read is
   * then small and known.
   */
  static ConformanceServer startWithSendBuffer(int bytes) throws Exception {
    return new ConformanceServer(Duration.ofSeconds(120), bytes);
  }

  private ServerConnector connector() {
    return (ServerConnector) server.jetty().getConnectors()[0];
  }

  /** Bytes the server has read on the connection whose client end is {@code client}. */
  long bytesReadFrom(Socket client) {
    for (EndPoint endPoint : connector().getConnectedEndPoints()) {
      if (endPoint.getRemoteSocketAddress() instanceof InetSocketAddress remote
          && remote.getPort() == client.getLocalPort()) {
        return endPoint.getConnection().getBytesIn();
      }
    }
    throw new AssertionError("no server connection for client port " + client.getLocalPort());
  }

  private <C extends Tracked> C track(java.util.Optional<String> id, C conn) {
    id.ifPresent(i -> conns.put(i, conn));
    return conn;
  }

  /** {@code ws://localhost:port/path}. */
  URI uri(String pathAndQuery) {
    return server.wsUri(pathAndQuery);
  }

  /** The {@code Host} header value a client of this server sends. */
  String authority() {
    return server.uri().getAuthority();
  }

  /** A fresh id for {@code ?id=}. */
  static String newId() {
    return UUID.randomUUID().toString();
  }

  /** The server-side connection registered under {@code id}, or null. */
  Tracked conn(String id) {
    return conns.get(id);
  }

  /** Opens a client on {@code path} (no query) and finds its server-side connection. */
  Opened open(String path) {
    String id = newId();
    RawWsClient client = RawWsClient.open(uri(path + "?id=" + id));
    Tracked conn = conns.get(id);
    assertThat(conn).as("server-side connection for %s", id).isNotNull();
    return new Opened(client, conn);
  }

  /**
   * Asserts that the server closed {@code opened} with a close frame carrying {@code code}, ended
   * the TCP connection, and ran {@code onClose} exactly once; returns the server-side status.
   */
  static CloseStatus assertClosedWith(Opened opened, int code) {
    RawWsClient.Close close = opened.client().awaitClose();
    assertThat(close.frameReceived()).as("a close frame arrived (not a bare drop)").isTrue();
    assertThat(close.code()).as("close code, reason %s", close.reason()).isEqualTo(code);
    CloseStatus status = assertServerClosedOnce(opened);
    assertThat(status.code()).as("status seen by onClose: %s", status).isEqualTo(code);
    return status;
  }

  /** Asserts that the TCP connection ended and the server ran {@code onClose} exactly once. */
  static CloseStatus assertServerClosedOnce(Opened opened) {
    assertThat(opened.client().awaitEof(Duration.ofSeconds(10)))
        .as("the server ends the TCP connection")
        .isTrue();
    CloseLog log = opened.conn().log();
    await().atMost(Duration.ofSeconds(10)).until(() -> log.count() > 0);
    assertThat(log.count()).as("onClose calls").isEqualTo(1);
    return log.status();
  }

  @Override
  public void close() throws Exception {
    server.close();
  }
}
