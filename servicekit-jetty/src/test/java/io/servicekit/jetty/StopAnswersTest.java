package io.servicekit.jetty;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.servicekit.Codec;
import io.servicekit.WsListener;
import io.servicekit.sse.SseListener;
import io.servicekit.streamable.SingleResponse;
import io.servicekit.testkit.TestWsClient;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A request that reaches a stopping server gets a prompt, definite answer — 503 with {@code
 * Connection: close}, or a refused/closed TCP connection — never silence, whether it is a WebSocket
 * upgrade, a plain GET, an SSE subscription or a Streamable POST, on a new connection or on a
 * keep-alive one opened before the stop.
 */
class StopAnswersTest {
  /** Far above any honest answer, far below "hangs until the client gives up". */
  private static final int READ_TIMEOUT_MS = 30_000;

  private final ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor();
  private final CountDownLatch slowEntered = new CountDownLatch(1);
  private final CountDownLatch releaseSlow = new CountDownLatch(1);
  private ServiceKitServer server;
  private int port;

  @BeforeEach
  void start() throws Exception {
    server =
        ServiceKitServer.builder()
            .port(0)
            .ws("/ws", r -> WsListener.of(Codec.raw(), "Echo", (session, m) -> session.send(m)))
            .sse("/events", r -> SseListener.json())
            .route("/rpc", StreamableServe.handler(r -> SingleResponse.json(200, "{}")))
            .route("/slow", new Slow())
            .route("/", new Ok())
            .build()
            .start();
    port = server.port(); // -2 once the connector is closed
  }

  @AfterEach
  void tearDown() throws Exception {
    releaseSlow.countDown();
    server.jetty().setStopTimeout(0);
    server.stop();
    pool.shutdownNow();
  }

  @Test
  void requestsDuringAPlainStopAreAnsweredOrRefusedAndInFlightWorkDrains() throws Exception {
    Socket keepAlive = connect();
    assertThat(exchange(keepAlive, get("/"))).startsWith("HTTP/1.1 200");
    Socket slowSocket = connect();
    Future<String> slow = pool.submit(() -> exchange(slowSocket, get("/slow")));
    assertThat(slowEntered.await(30, TimeUnit.SECONDS)).isTrue();
    TestWsClient ws = TestWsClient.connect(server.wsUri("/ws"));

    Future<Void> stopping =
        pool.submit(
            () -> {
              server.stop();
              return null;
            });
    await().atMost(Duration.ofSeconds(30)).until(() -> server.jetty().isStopping());

    // The in-flight /slow request holds the stop; everything new must get a definite answer.
    assertDefinite(fresh(upgrade("/ws")));
    assertDefinite(fresh(get("/")));
    assertDefinite(fresh(get("/events")));
    assertDefinite(fresh(post("/rpc", "{}")));
    assertDefinite(answer(keepAlive, upgrade("/ws")));
    assertThat(stopping.isDone()).as("the in-flight request still holds the stop").isFalse();

    releaseSlow.countDown();
    assertThat(slow.get(30, TimeUnit.SECONDS)).startsWith("HTTP/1.1 200").endsWith("released");
    stopping.get(30, TimeUnit.SECONDS);
    assertThat(ws.awaitClose().code()).isEqualTo(1001);
  }

  @Test
  void upgradesWhileAPlainStopClosesWebSocketsAreAnsweredOrRefused() throws Exception {
    Socket preconnected = connect(); // as a browser's speculative connection: no request yet
    TestWsClient ws = TestWsClient.connect(server.wsUri("/ws"));
    Future<Void> stopping =
        pool.submit(
            () -> {
              server.stop();
              return null;
            });
    await().atMost(Duration.ofSeconds(30)).until(() -> server.jetty().isStopping());
    String fresh = fresh(upgrade("/ws"));
    String pre = answer(preconnected, upgrade("/ws"));
    assertDefinite(fresh);
    assertDefinite(pre);
    assertThat(ws.awaitClose().code()).isEqualTo(1001);
    stopping.get(30, TimeUnit.SECONDS);
  }

  @Test
  void requestsDuringAGracefulShutdownDrainGet503WithConnectionClose() throws Exception {
    Socket keepAlive = connect();
    assertThat(exchange(keepAlive, get("/"))).startsWith("HTTP/1.1 200");
    Socket slowSocket = connect();
    Future<String> slow = pool.submit(() -> exchange(slowSocket, get("/slow")));
    assertThat(slowEntered.await(30, TimeUnit.SECONDS)).isTrue();
    TestWsClient ws = TestWsClient.connect(server.wsUri("/ws"));
    GracefulShutdown shutdown = GracefulShutdown.of(server).noSignals();
    Future<GracefulShutdown.Report> run = pool.submit(shutdown::run);
    await()
        .atMost(Duration.ofSeconds(30))
        .until(() -> shutdown.ready().toCompletableFuture().isDone());
    shutdown.trigger("test");
    assertThat(ws.awaitClose().code()).isEqualTo(1001);

    // Draining: the connector still accepts, so every new request is answered 503 and closed.
    for (String request : List.of(upgrade("/ws"), get("/"), get("/events"), post("/rpc", "{}"))) {
      assertShuttingDown(fresh(request));
    }
    // A keep-alive connection opened before the shutdown is answered and then closed, not kept
    // open (silent) until the drain ends.
    assertShuttingDown(answer(keepAlive, upgrade("/ws")));
    assertThat(keepAlive.getInputStream().read()).as("closed after the 503").isEqualTo(-1);
    assertThat(run.isDone()).as("the in-flight request still holds the drain").isFalse();

    releaseSlow.countDown();
    assertThat(slow.get(30, TimeUnit.SECONDS)).startsWith("HTTP/1.1 200").endsWith("released");
    assertThat(run.get(30, TimeUnit.SECONDS).clean()).isTrue();
  }

  /** ServiceKit's own 503: a short text, and the connection closed after it. */
  private static void assertShuttingDown(String response) {
    assertThat(response)
        .startsWith("HTTP/1.1 503")
        .containsIgnoringCase("connection: close")
        .endsWith("server shutting down");
  }

  /** 503, or the connection refused/closed: anything but a read that times out. */
  private static void assertDefinite(String outcome) {
    if (outcome.startsWith("HTTP/")) {
      assertShuttingDown(outcome);
      return;
    }
    assertThat(outcome).as("outcome").matches("(?s)refused.*|closed.*");
  }

  private Socket connect() throws IOException {
    Socket socket = new Socket();
    socket.connect(new InetSocketAddress("localhost", port), READ_TIMEOUT_MS);
    socket.setSoTimeout(READ_TIMEOUT_MS);
    return socket;
  }

  /** Sends {@code request} on a new connection; the response, or how the connection failed. */
  private String fresh(String request) throws IOException {
    Socket socket;
    try {
      socket = connect();
    } catch (IOException e) {
      return "refused: " + e;
    }
    try (socket) {
      return answer(socket, request);
    }
  }

  /** The response head (and any body read until close), or "closed"; a silent server fails. */
  private static String answer(Socket socket, String request) throws IOException {
    try {
      String response = exchange(socket, request);
      return response.isEmpty() ? "closed: no bytes" : response;
    } catch (SocketTimeoutException e) {
      throw new AssertionError("no answer within " + READ_TIMEOUT_MS + " ms to " + request, e);
    } catch (IOException e) {
      return "closed: " + e;
    }
  }

  /** Writes {@code request}; reads the head and a Content-Length body. */
  private static String exchange(Socket socket, String request) throws IOException {
    socket.getOutputStream().write(request.getBytes(StandardCharsets.US_ASCII));
    InputStream in = socket.getInputStream();
    ByteArrayOutputStream head = new ByteArrayOutputStream();
    while (!head.toString(StandardCharsets.US_ASCII).endsWith("\r\n\r\n")) {
      int b = in.read();
      if (b < 0) {
        return head.toString(StandardCharsets.US_ASCII);
      }
      head.write(b);
    }
    String text = head.toString(StandardCharsets.US_ASCII);
    int length = 0;
    for (String line : text.split("\r\n")) {
      if (line.toLowerCase(Locale.ROOT).startsWith("content-length:")) {
        length = Integer.parseInt(line.substring(15).trim());
      }
    }
    return text + new String(in.readNBytes(length), StandardCharsets.UTF_8);
  }

  private static String get(String path) {
    return "GET " + path + " HTTP/1.1\r\nHost: localhost\r\n\r\n";
  }

  private static String post(String path, String body) {
    return "POST "
        + path
        + " HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
        + "Accept: application/json, text/event-stream\r\nContent-Length: "
        + body.length()
        + "\r\n\r\n"
        + body;
  }

  private static String upgrade(String path) {
    return "GET "
        + path
        + " HTTP/1.1\r\nHost: localhost\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n";
  }

  private static final class Ok extends Handler.Abstract {
    @Override
    public boolean handle(Request request, Response response, Callback callback) {
      Responses.text(response, callback, 200, "ok", Map.of());
      return true;
    }
  }

  private final class Slow extends Handler.Abstract {
    @Override
    public boolean handle(Request request, Response response, Callback callback) {
      slowEntered.countDown();
      try {
        releaseSlow.await();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      Responses.text(response, callback, 200, "released", Map.of());
      return true;
    }
  }
}
