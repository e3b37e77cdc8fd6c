package io.servicekit.jetty;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.servicekit.Codec;
import io.servicekit.WsListener;
import io.servicekit.testkit.TestWsClient;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The request-head deadline: a client trickling header lines (each well inside the idle timeout) is
 * answered 408 and disconnected once the head has taken longer than {@code headerTimeout}; a slow
 * head that finishes in time, an idle keep-alive connection and an upgraded WebSocket are not
 * touched; an oversized head is 431.
 */
class HeaderDeadlineTest {
  private static final Duration DEADLINE = Duration.ofSeconds(2);

  /** Far more than the deadline needs on a busy machine, far less than "never". */
  private static final long SLACK_MS = 10_000;

  private final ScheduledExecutorService trickler = Executors.newSingleThreadScheduledExecutor();
  private ServiceKitServer server;

  @AfterEach
  void tearDown() throws Exception {
    trickler.shutdownNow();
    if (server != null) {
      server.jetty().setStopTimeout(0);
      server.stop();
    }
  }

  private void start(Duration headerTimeout) throws Exception {
    server =
        ServiceKitServer.builder()
            .port(0)
            .host("127.0.0.1")
            .idleTimeout(Duration.ofSeconds(30)) // the trickle keeps resetting it
            .headerTimeout(headerTimeout)
            .ws("/ws", r -> WsListener.of(Codec.raw(), "Echo", (session, m) -> session.send(m)))
            .route("/", new Ok())
            .build()
            .start();
  }

  @Test
  void aHeadTrickledForeverIsAnswered408AndClosedWithinTheDeadline() throws Exception {
    start(DEADLINE);
    Socket socket = connect();
    OutputStream out = socket.getOutputStream();
    AtomicInteger lines = new AtomicInteger();
    long start = System.nanoTime();
    out.write(("GET / HTTP/1.1\r\nHost: localhost\r\n").getBytes(StandardCharsets.US_ASCII));
    out.flush();
    trickler.scheduleAtFixedRate(
        () -> {
          try {
            out.write(
                ("X-Slow-" + lines.incrementAndGet() + ": a\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            out.flush();
          } catch (IOException e) {
            throw new RuntimeException(e); // closed by the server: stop trickling
          }
        },
        200,
        200,
        TimeUnit.MILLISECONDS);
    socket.setSoTimeout((int) (DEADLINE.toMillis() + SLACK_MS));

    String response = readToEnd(socket.getInputStream());
    long tookMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);

    assertThat(response)
        .startsWith("HTTP/1.1 408")
        .contains("Connection: close")
        .contains("request header timeout: headers not complete within 2s (headerTimeout)");
    assertThat(tookMs).isBetween(DEADLINE.toMillis() - 100, DEADLINE.toMillis() + SLACK_MS);
    assertThat(lines.get()).as("header lines sent before the cut").isGreaterThan(3);
  }

  @Test
  void withoutTheDeadlineATrickledHeadIsNeverCut() throws Exception {
    start(Duration.ZERO);
    Socket socket = connect();
    OutputStream out = socket.getOutputStream();
    out.write(("GET / HTTP/1.1\r\nHost: localhost\r\n").getBytes(StandardCharsets.US_ASCII));
    out.flush();
    trickler.scheduleAtFixedRate(
        () -> {
          try {
            out.write("X-Slow: a\r\n".getBytes(StandardCharsets.US_ASCII));
            out.flush();
          } catch (IOException e) {
            throw new RuntimeException(e);
          }
        },
        200,
        200,
        TimeUnit.MILLISECONDS);
    socket.setSoTimeout((int) (2 * DEADLINE.toMillis()));
    // What the deadline prevents: the connection is still held after twice the deadline.
    assertThatThrownBy(() -> socket.getInputStream().read())
        .isInstanceOf(SocketTimeoutException.class);
  }

  @Test
  void aSlowHeadThatFinishesInTimeIsServed() throws Exception {
    start(DEADLINE);
    Socket socket = connect();
    OutputStream out = socket.getOutputStream();
    out.write("GET / HTTP/1.1\r\n".getBytes(StandardCharsets.US_ASCII));
    out.flush();
    AtomicInteger left = new AtomicInteger(4);
    trickler.scheduleAtFixedRate(
        () -> {
          try {
            int n = left.getAndDecrement();
            if (n > 1) {
              out.write(("X-Slow-" + n + ": a\r\n").getBytes(StandardCharsets.US_ASCII));
            } else if (n == 1) {
              out.write("Host: localhost\r\nConnection: close\r\n\r\n".getBytes());
            }
            out.flush();
          } catch (IOException e) {
            throw new RuntimeException(e);
          }
        },
        100,
        100,
        TimeUnit.MILLISECONDS);
    socket.setSoTimeout((int) (DEADLINE.toMillis() + SLACK_MS));
    assertThat(readToEnd(socket.getInputStream())).startsWith("HTTP/1.1 200").endsWith("ok");
  }

  @Test
  void anIdleKeepAliveConnectionAndAWebSocketOutliveTheDeadline() throws Exception {
    start(DEADLINE);
    TestWsClient ws = TestWsClient.connect(server.wsUri("/ws"));
    Socket socket = connect();
    String get = "GET / HTTP/1.1\r\nHost: localhost\r\n\r\n";
    socket.getOutputStream().write(get.getBytes(StandardCharsets.US_ASCII));
    assertThat(readResponse(socket.getInputStream())).startsWith("HTTP/1.1 200");

    // Idle past the deadline: no 408, no close.
    socket.setSoTimeout((int) (DEADLINE.toMillis() + 1000));
    assertThatThrownBy(() -> socket.getInputStream().read())
        .isInstanceOf(SocketTimeoutException.class);

    socket.setSoTimeout((int) SLACK_MS);
    socket.getOutputStream().write(get.getBytes(StandardCharsets.US_ASCII));
    assertThat(readResponse(socket.getInputStream())).startsWith("HTTP/1.1 200");
    ws.sendText("still here");
    assertThat(ws.awaitText()).isEqualTo("still here");
  }

  @Test
  void anOversizedHeadIs431() throws Exception {
    start(DEADLINE);
    Socket socket = connect();
    socket.setSoTimeout((int) SLACK_MS);
    String big = "a".repeat(16 * 1024);
    socket
        .getOutputStream()
        .write(
            ("GET / HTTP/1.1\r\nHost: localhost\r\nX-Big: " + big + "\r\n\r\n")
                .getBytes(StandardCharsets.US_ASCII));
    assertThat(readResponse(socket.getInputStream())).startsWith("HTTP/1.1 431");
  }

  @Test
  void aNegativeHeaderTimeoutIsRefused() {
    assertThatThrownBy(() -> ServiceKitServer.builder().headerTimeout(Duration.ofSeconds(-1)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("headerTimeout")
        .hasMessageContaining("-1");
  }

  private Socket connect() throws IOException {
    Socket socket = new Socket();
    socket.connect(new InetSocketAddress("127.0.0.1", server.port()), 10_000);
    return socket;
  }

  private static String readToEnd(InputStream in) throws IOException {
    ByteArrayOutputStream all = new ByteArrayOutputStream();
    byte[] buf = new byte[4096];
    for (int n; (n = in.read(buf)) >= 0; ) {
      all.write(buf, 0, n);
    }
    return all.toString(StandardCharsets.UTF_8);
  }

  /** Reads one response with a Content-Length body. */
  private static String readResponse(InputStream in) throws IOException {
    ByteArrayOutputStream head = new ByteArrayOutputStream();
    while (!head.toString(StandardCharsets.US_ASCII).endsWith("\r\n\r\n")) {
      int b = in.read();
      if (b < 0) {
        return head.toString(StandardCharsets.US_ASCII);
      }
      head.write(b);
    }
    String h = head.toString(StandardCharsets.US_ASCII);
    int length = 0;
    for (String line : h.split("\r\n")) {
      if (line.toLowerCase(java.util.Locale.ROOT).startsWith("content-length:")) {
        length = Integer.parseInt(line.substring(15).strip());
      }
    }
    return h + new String(in.readNBytes(length), StandardCharsets.UTF_8);
  }

  private static final class Ok extends Handler.Abstract {
    @Override
    public boolean handle(Request request, Response response, Callback callback) {
      Responses.text(response, callback, 200, "ok", java.util.Map.of());
      return true;
    }
  }
}
