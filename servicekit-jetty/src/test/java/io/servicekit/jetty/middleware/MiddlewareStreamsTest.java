package io.servicekit.jetty.middleware;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.servicekit.Codec;
import io.servicekit.Message;
import io.servicekit.OriginPolicy;
import io.servicekit.WsConfig;
import io.servicekit.WsListener;
import io.servicekit.jetty.ServiceKitServer;
import io.servicekit.middleware.RateLimitConfig;
import io.servicekit.testkit.TestWsClient;
import java.time.Duration;
import java.util.List;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every middleware wrapped around a WebSocket route and an SSE route keeps both working (the Go
 * library's request logger broke them: W-75), and the connection limit counts a WebSocket for its
 * whole life.
 */
class MiddlewareStreamsTest {
  private ServiceKitServer server;
  private final TestStreams sse = new TestStreams();

  static WsConfig localOrigins() {
    return WsConfig.builder().originPolicy(OriginPolicy.localhost()).build();
  }

  static WsListener<Message, Message> echo() {
    return WsListener.of(Codec.raw(), "Echo", (session, m) -> session.send(m));
  }

  private int serve(Middleware guard) throws Exception {
    server =
        ServiceKitServer.builder()
            .port(0)
            .ws("/ws/echo", r -> echo(), localOrigins())
            .route("/events", sse)
            .route("/healthz", HealthCheck.liveness())
            .guard(guard, "/healthz")
            .build()
            .start();
    return server.port();
  }

  @AfterEach
  void stop() throws Exception {
    if (server != null) {
      server.stop();
    }
  }

  static List<Arguments> middlewares() {
    List<Supplier<Middleware>> all =
        List.of(
            ClientIpExtractor::direct,
            RequestId::create,
            () -> RequestLogger.skipping("/healthz"),
            Recovery::create,
            () -> Cors.allowing(OriginPolicy.localhost()),
            OriginChecker::localhost,
            () -> BodyLimiter.of(1024),
            () -> RateLimiter.of(RateLimitConfig.perKey(100, 0)),
            () -> ConnLimiter.of(10),
            () -> RequireContentType.of("application/json"),
            () -> Guard.of(RequestId.create(), Recovery.create()));
    return all.stream().map(s -> Arguments.of(s.get().getClass().getSimpleName(), s)).toList();
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("middlewares")
  void webSocketAndSseRoutesKeepWorking(String name, Supplier<Middleware> middleware)
      throws Exception {
    int port = serve(middleware.get());
    assertWebSocketEchoes(port);
    assertSseStreams(port);
  }

  @Test
  void theWholeQuickStartGuardOnWebSocketSseAndHttp() throws Exception {
    CapturingLogger log = new CapturingLogger();
    ConnLimiter limiter = ConnLimiter.of(1000);
    Guard guard =
        Guard.of(
            ClientIpExtractor.direct(),
            RequestId.create(),
            RequestLogger.skipping("/healthz").to(log),
            Recovery.create(),
            Cors.allowing(OriginPolicy.localhost()),
            OriginChecker.localhost(),
            BodyLimiter.of(1 << 20),
            RateLimiter.of(RateLimitConfig.perKey(10, 0)),
            limiter);
    int port = serve(guard);
    assertWebSocketEchoes(port);
    CapturingLogger.Event upgrade = log.next();
    assertThat(upgrade.kv()).containsEntry("path", "/ws/echo").containsEntry("status", 101);
    assertSseStreams(port);
    CapturingLogger.Event stream = log.next();
    assertThat(stream.kv()).containsEntry("path", "/events").containsEntry("status", 200);
    Http.Reply health = Http.get(port, "/healthz");
    assertThat(health.body()).isEqualTo("{\"status\":\"ok\"}");
    assertThat(health.header("X-Request-Id")).as("/healthz is outside the guard").isNull();
    await().until(() -> limiter.active() == 0);
  }

  @Test
  void connLimiterCountsAWebSocketForItsLifetime() throws Exception {
    ConnLimiter limiter = ConnLimiter.of(2);
    int port = serve(limiter);
    TestWsClient first = TestWsClient.connect(server.wsUri("/ws/echo"));
    first.sendText("x");
    assertThat(first.awaitText()).isEqualTo("x");
    assertThat(limiter.active()).as("upgrade done, connection open").isEqualTo(1);
    try (TestStreams.Client stream = new TestStreams.Client(port, "/events")) {
      assertThat(stream.nextLine()).isEqualTo("data: hello");
      assertThat(limiter.active()).isEqualTo(2);
      Http.Reply refused = Http.to(port).path("/ws/echo").upgrade().send();
      assertThat(refused.status()).isEqualTo(503);
      assertThat(refused.body()).isEqualTo("{\"error\":\"too many connections\"}\n");
      sse.endAll("done");
      assertThat(stream.nextLine()).isEqualTo("event: done");
    }
    await().until(() -> limiter.active() == 1);
    first.close(1000, "bye");
    first.awaitClose();
    await().until(() -> limiter.active() == 0);
    try (TestWsClient again = TestWsClient.connect(server.wsUri("/ws/echo"))) {
      again.sendText("y");
      assertThat(again.awaitText()).isEqualTo("y");
    }
  }

  private void assertWebSocketEchoes(int port) {
    TestWsClient client =
        TestWsClient.builder(server.wsUri("/ws/echo"))
            .header("Origin", "http://localhost:" + port)
            .connect();
    try (client) {
      client.sendText("hello");
      assertThat(client.awaitText()).isEqualTo("hello");
      client.sendBinary(new byte[] {1, 2});
      assertThat(client.awaitBinary()).containsExactly(1, 2);
      client.close(1000, "bye");
      assertThat(client.awaitClose().code()).isEqualTo(1000);
    }
    await().atMost(Duration.ofSeconds(10)).until(() -> server.webSocketSessions().isEmpty());
  }

  private void assertSseStreams(int port) throws Exception {
    try (TestStreams.Client stream =
        new TestStreams.Client(port, "/events", "Origin: http://localhost:" + port)) {
      assertThat(stream.head.status()).isEqualTo(200);
      assertThat(stream.head.header("Content-Type")).startsWith("text/event-stream");
      assertThat(stream.nextLine()).isEqualTo("data: hello");
      await().until(() -> sse.openStreams() == 1);
      sse.endAll("final");
      assertThat(stream.nextLine()).isEqualTo("event: final");
      assertThat(stream.nextLine()).isEqualTo("data: bye");
    }
  }
}
