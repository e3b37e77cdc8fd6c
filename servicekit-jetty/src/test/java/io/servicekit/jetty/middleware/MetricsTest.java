package io.servicekit.jetty.middleware;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.servicekit.jetty.ServiceKitServer;
import io.servicekit.jetty.metrics.MicrometerMetrics;
import io.servicekit.testkit.TestWsClient;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Micrometer metrics of WebSocket connections and SSE streams, tagged by route pattern. */
class MetricsTest {
  private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
  private final MicrometerMetrics metrics = new MicrometerMetrics(registry);
  private final TestStreams sse = new TestStreams();
  private ServiceKitServer server;

  @AfterEach
  void stop() throws Exception {
    server.stop();
  }

  private double counter(String name, String... tags) {
    var c = registry.find(name).tags(tags).counter();
    return c == null ? 0 : c.count();
  }

  private double gauge(String name, String... tags) {
    var g = registry.find(name).tags(tags).gauge();
    return g == null ? -1 : g.value();
  }

  @Test
  void webSocketAndSseMetricsByRoutePattern() throws Exception {
    server =
        ServiceKitServer.builder()
            .port(0)
            .ws("/rooms/{room}", r -> MiddlewareStreamsTest.echo())
            .route("/events", sse)
            .guard(SseMetrics.reportingTo(metrics))
            .metrics(metrics)
            .build()
            .start();
    String ws = "/rooms/{room}";
    try (TestWsClient a = TestWsClient.connect(server.wsUri("/rooms/a"));
        TestWsClient b = TestWsClient.connect(server.wsUri("/rooms/b"))) {
      a.sendText("hello");
      b.sendText("héllo"); // 6 bytes in UTF-8
      assertThat(a.awaitText()).isEqualTo("hello");
      assertThat(b.awaitText()).isEqualTo("héllo");
      await()
          .untilAsserted(
              () -> {
                assertThat(gauge("servicekit.connections.active", "kind", "websocket", "route", ws))
                    .isEqualTo(2);
                assertThat(counter("servicekit.messages", "route", ws, "direction", "in"))
                    .isEqualTo(2);
                assertThat(counter("servicekit.bytes", "route", ws, "direction", "in"))
                    .isEqualTo(11);
                assertThat(counter("servicekit.messages", "route", ws, "direction", "out"))
                    .isEqualTo(2);
                assertThat(counter("servicekit.bytes", "route", ws, "direction", "out"))
                    .isEqualTo(11);
              });
      assertThat(gauge("servicekit.queue.bytes", "route", ws)).isGreaterThanOrEqualTo(0);
      a.close(1000, "bye");
      a.awaitClose();
    }
    await()
        .untilAsserted(
            () -> {
              assertThat(gauge("servicekit.connections.active", "route", ws)).isZero();
              assertThat(counter("servicekit.connections.closed", "route", ws, "code", "1000"))
                  .isGreaterThanOrEqualTo(1);
              assertThat(
                      registry
                          .find("servicekit.connection.duration")
                          .tags("route", ws)
                          .timer()
                          .count())
                  .isEqualTo(2);
            });

    Http.Reply refused =
        Http.to(server.port())
            .path("/rooms/x")
            .upgrade()
            .header("Origin", "https://evil.com")
            .send();
    assertThat(refused.status()).isEqualTo(403);
    await() // recorded once the refusal has been written
        .untilAsserted(
            () ->
                assertThat(
                        counter("servicekit.handshake.rejections", "route", ws, "reason", "origin"))
                    .isEqualTo(1));

    try (TestStreams.Client stream = new TestStreams.Client(server.port(), "/events")) {
      assertThat(stream.nextLine()).isEqualTo("data: hello");
      assertThat(gauge("servicekit.connections.active", "kind", "sse", "route", "/events"))
          .isEqualTo(1);
      sse.endAll("bye");
      assertThat(stream.nextLine()).isEqualTo("event: bye");
    }
    await()
        .untilAsserted(
            () -> {
              assertThat(gauge("servicekit.connections.active", "kind", "sse", "route", "/events"))
                  .isZero();
              assertThat(counter("servicekit.messages", "kind", "sse", "direction", "out"))
                  .isEqualTo(2);
              assertThat(counter("servicekit.connections.closed", "kind", "sse", "code", "1000"))
                  .isEqualTo(1);
            });

    Set<String> routes =
        registry.getMeters().stream()
            .map(Meter::getId)
            .map(id -> id.getTag("route"))
            .filter(r -> r != null)
            .collect(Collectors.toSet());
    assertThat(routes)
        .as("route patterns, never raw paths")
        .containsExactlyInAnyOrder(ws, "/events");
  }
}
