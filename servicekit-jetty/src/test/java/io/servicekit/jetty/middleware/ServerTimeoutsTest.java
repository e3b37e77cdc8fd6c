package io.servicekit.jetty.middleware;

import static org.assertj.core.api.Assertions.assertThat;

import io.servicekit.jetty.ServiceKitServer;
import io.servicekit.testkit.TestWsClient;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.ByteBuffer;
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
 * The server timeouts (upstream {@code ApplyDefaults}) are inactivity timeouts: a stalled client is
 * cut, while an SSE stream that keeps writing and an open WebSocket outlive them (W-86).
 */
class ServerTimeoutsTest {
  private static final Duration IDLE = Duration.ofMillis(400);
  private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor();
  private ServiceKitServer server;

  @AfterEach
  void stop() throws Exception {
    timer.shutdownNow();
    server.stop();
  }

  @Test
  void idleTimeoutDefaultsToUpstreams120Seconds() throws Exception { // servertimeouts_test.go
    server = ServiceKitServer.builder().port(0).build().start();
    assertThat(server.jetty().getConnectors()[0].getIdleTimeout()).isEqualTo(120_000);
  }

  /**
   * An SSE stream that writes a keepalive 100 ms after the previous write completed, 15 times
   * (about four idle periods), then ends. Writes are chained: Jetty allows one at a time.
   */
  private Handler keepaliveStream() {
    return new Handler.Abstract() {
      @Override
      public boolean handle(Request request, Response response, Callback callback) {
        response.getHeaders().put("Content-Type", "text/event-stream");
        AtomicInteger sent = new AtomicInteger();
        Runnable[] next = new Runnable[1];
        next[0] =
            () -> {
              boolean last = sent.incrementAndGet() == 15;
              String text = last ? "event: end\ndata: done\n\n" : ": keepalive\n\n";
              response.write(
                  last,
                  ByteBuffer.wrap(text.getBytes(StandardCharsets.UTF_8)),
                  last
                      ? callback
                      : Callback.from(
                          () -> timer.schedule(next[0], 100, TimeUnit.MILLISECONDS),
                          callback::failed));
            };
        timer.schedule(next[0], 100, TimeUnit.MILLISECONDS);
        return true;
      }
    };
  }

  @Test
  void streamsThatMakeProgressOutliveTheIdleTimeoutAndStalledClientsAreCut() throws Exception {
    server =
        ServiceKitServer.builder()
            .port(0)
            .idleTimeout(IDLE)
            .ws("/ws/echo", r -> MiddlewareStreamsTest.echo())
            .route("/events", keepaliveStream())
            .build()
            .start();
    int port = server.port();
    try (TestWsClient ws = TestWsClient.connect(server.wsUri("/ws/echo"));
        TestStreams.Client sse = new TestStreams.Client(port, "/events")) {
      long start = System.nanoTime();
      int keepalives = 0;
      String line;
      while (!(line = sse.nextLine()).equals("event: end")) {
        assertThat(line).isEqualTo(": keepalive");
        keepalives++;
      }
      assertThat(keepalives).isEqualTo(14);
      assertThat(Duration.ofNanos(System.nanoTime() - start)).isGreaterThan(IDLE.multipliedBy(3));
      // The WebSocket sat idle for the same time: it has its own (heartbeat-based) idle timeout.
      ws.sendText("still here");
      assertThat(ws.awaitText()).isEqualTo("still here");
    }
    try (Socket stalled = new Socket()) {
      stalled.connect(new InetSocketAddress("127.0.0.1", port));
      stalled.setSoTimeout(10_000);
      stalled
          .getOutputStream()
          .write("GET / HTTP/1.1\r\nHost: loc".getBytes(StandardCharsets.ISO_8859_1));
      stalled.getOutputStream().flush();
      long start = System.nanoTime();
      InputStream in = stalled.getInputStream();
      byte[] rest = in.readAllBytes(); // returns when the server closes the connection
      assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(5));
      assertThat(new String(rest, StandardCharsets.ISO_8859_1)).doesNotContain("200 OK");
    }
  }
}
