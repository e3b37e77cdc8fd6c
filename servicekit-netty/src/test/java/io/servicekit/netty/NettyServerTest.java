package io.servicekit.netty;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.servicekit.CloseStatus;
import io.servicekit.WsConfig;
import io.servicekit.WsListener;
import io.servicekit.netty.contract.Probe;
import io.servicekit.testkit.RawWsClient;
import io.servicekit.testkit.TestWsClient;
import java.io.IOException;
import java.net.Socket;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** What is particular to {@link NettyServer}: its builder, routing, accept's thread, stopping. */
class NettyServerTest {
  private final BlockingQueue<Probe> accepted = new LinkedBlockingQueue<>();
  private NettyServer server;

  private Probe track(Probe p) {
    accepted.add(p);
    return p;
  }

  private Probe serverSide() throws Exception {
    Probe probe = accepted.poll(10, TimeUnit.SECONDS);
    assertThat(probe).as("server-side connection").isNotNull();
    probe.session();
    return probe;
  }

  @AfterEach
  void stop() throws Exception {
    if (server != null) {
      server.stop(Duration.ofSeconds(5));
    }
  }

  @Test
  void theBuilderRefusesBadRoutesAndSettingsNamingThem() {
    NettyServer.Builder b = NettyServer.builder();
    WsConfig c = WsConfig.defaults();
    assertThatThrownBy(() -> b.ws("echo", r -> new Probe(), c))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("must start with '/'")
        .hasMessageContaining("echo");
    b.ws("/echo", r -> new Probe(), c);
    assertThatThrownBy(() -> b.ws("/echo", r -> new Probe(), c))
        .hasMessageContaining("routed twice: /echo");
    assertThatThrownBy(() -> b.ws("/rooms/x{room}", r -> new Probe(), c))
        .hasMessageContaining("whole segment")
        .hasMessageContaining("x{room}");
    b.ws("/rooms/{room}", r -> new Probe(), c);
    assertThatThrownBy(() -> b.ws("/rooms/{other}", r -> new Probe(), c))
        .hasMessageContaining("routed twice");
    assertThatThrownBy(() -> b.ws("/a/{x}/{x}", r -> new Probe(), c))
        .hasMessageContaining("{x} used twice");
    assertThatThrownBy(() -> b.ws("/q?x", r -> new Probe(), c)).hasMessageContaining("'?'");
    assertThatThrownBy(() -> b.port(65536)).hasMessageContaining("65536");
    assertThatThrownBy(() -> b.ioThreads(-1)).hasMessageContaining("-1");
    assertThatThrownBy(() -> b.stopTimeout(Duration.ofSeconds(-1))).hasMessageContaining("PT-1S");
  }

  @Test
  void anExactPathWinsOverATemplateAndMoreLiteralSegmentsWin() throws Exception {
    BlockingQueue<String> routed = new LinkedBlockingQueue<>();
    server =
        NettyServer.builder()
            .port(0)
            .host("localhost")
            .ws("/rooms/{room}", r -> routed(routed, "template " + r.pathParams()))
            .ws("/rooms/lobby", r -> routed(routed, "exact"))
            .ws("/{a}/{b}/{c}", r -> routed(routed, "three " + r.pathParams().size()))
            .ws("/{a}/x/{c}", r -> routed(routed, "literal " + r.pathParams().size()))
            .build()
            .start();
    for (String path : new String[] {"/rooms/lobby", "/rooms/a%2Fb", "/q/x/z", "/q/y/z"}) {
      try (RawWsClient client = RawWsClient.connect(server.uri())) {
        RawWsClient.Upgrade up = RawWsClient.Upgrade.to(server.wsUri(path));
        client.upgrade(up).assertSwitched(up.key());
      }
    }
    assertThat(routed.poll(10, TimeUnit.SECONDS)).isEqualTo("exact");
    assertThat(routed.poll(10, TimeUnit.SECONDS)).isEqualTo("template {room=a/b}");
    assertThat(routed.poll(10, TimeUnit.SECONDS)).isEqualTo("literal 2");
    assertThat(routed.poll(10, TimeUnit.SECONDS)).isEqualTo("three 3");
  }

  private static WsListener<?, ?> routed(BlockingQueue<String> routed, String what) {
    routed.add(what);
    return new Probe();
  }

  @Test
  void badPathsAndRequestsAreRefusedWithTheirStatus() throws Exception {
    server = NettyServer.builder().port(0).host("localhost").ws("/{x}", r -> new Probe()).build();
    server.start();
    assertThat(upgradeStatus("/%zz")).isEqualTo(400);
    assertThat(upgradeStatus("/%C3%28")).isEqualTo(400);
    assertThat(upgradeStatus("/a/b")).isEqualTo(404);
    try (RawWsClient client = RawWsClient.connect(server.uri())) {
      RawWsClient.Upgrade big = RawWsClient.Upgrade.to(server.wsUri("/a"));
      for (int i = 0; i < 64; i++) {
        big.header("X-Filler-" + i, "x".repeat(1000));
      }
      assertThat(client.upgrade(big).status()).isEqualTo(431);
    }
  }

  private int upgradeStatus(String target) {
    try (RawWsClient client = RawWsClient.connect(server.uri())) {
      return client.upgrade(RawWsClient.Upgrade.to(server.wsUri("/")).target(target)).status();
    }
  }

  @Test
  void aConnectionThatCompletesNoRequestInTimeIsClosed() throws Exception {
    server =
        NettyServer.builder()
            .port(0)
            .host("localhost")
            .requestTimeout(Duration.ofMillis(500))
            .ws("/echo", r -> new Probe())
            .build()
            .start();
    try (RawWsClient idle = RawWsClient.connect(server.uri());
        RawWsClient trickling = RawWsClient.connect(server.uri());
        RawWsClient afterRefusal = RawWsClient.connect(server.uri())) {
      String head = RawWsClient.Upgrade.to(server.wsUri("/echo")).toString();
      // everything but the final empty line: the server waits for more, then gives up
      trickling.write(
          head.substring(0, head.length() - 2)
              .getBytes(java.nio.charset.StandardCharsets.US_ASCII));
      assertThat(afterRefusal.upgrade(RawWsClient.Upgrade.to(server.wsUri("/x"))).status())
          .isEqualTo(404);
      assertThat(idle.awaitEof(Duration.ofSeconds(10))).isTrue();
      assertThat(trickling.awaitEof(Duration.ofSeconds(10))).isTrue();
      assertThat(afterRefusal.awaitEof(Duration.ofSeconds(10))).isTrue();
    }
    assertThatThrownBy(() -> NettyServer.builder().requestTimeout(Duration.ZERO))
        .hasMessageContaining("requestTimeout must be positive: PT0S");
  }

  @Test
  void aRequestPipelinedBehindAnUpgradeRequestClosesTheConnection() throws Exception {
    server =
        NettyServer.builder()
            .port(0)
            .host("localhost")
            .ws(
                "/auth",
                r -> {
                  throw io.servicekit.Rejection.of(401, "no");
                })
            .build()
            .start();
    try (RawWsClient client = RawWsClient.connect(server.uri())) {
      String one = RawWsClient.Upgrade.to(server.wsUri("/auth")).toString();
      client.write((one + one).getBytes(java.nio.charset.StandardCharsets.US_ASCII));
      assertThat(client.awaitEof(Duration.ofSeconds(10))).isTrue();
    }
  }

  @Test
  void aRefusalKeepsTheHttpConnectionForTheNextRequest() throws Exception {
    server = NettyServer.builder().port(0).host("localhost").ws("/echo", r -> new Probe()).build();
    server.start();
    try (RawWsClient client = RawWsClient.connect(server.uri())) {
      assertThat(client.upgrade(RawWsClient.Upgrade.to(server.wsUri("/nope"))).status())
          .isEqualTo(404);
      RawWsClient.Upgrade up = RawWsClient.Upgrade.to(server.wsUri("/echo"));
      client.upgrade(up).assertSwitched(up.key());
      client.sendText("same connection");
      assertThat(client.awaitText()).isEqualTo("same connection");
    }
  }

  @Test
  void anAcceptThatThrowsOrReturnsNullIsAnswered500WithoutDetails() throws Exception {
    server =
        NettyServer.builder()
            .port(0)
            .host("localhost")
            .ws(
                "/throws",
                r -> {
                  throw new IllegalStateException("secret detail");
                })
            .ws("/null", r -> null)
            .build()
            .start();
    for (String path : new String[] {"/throws", "/null"}) {
      try (RawWsClient client = RawWsClient.connect(server.uri())) {
        RawWsClient.Response r = client.upgrade(RawWsClient.Upgrade.to(server.wsUri(path)));
        assertThat(r.status()).isEqualTo(500);
        assertThat(r.bodyText()).isEqualTo("internal server error");
      }
    }
  }

  @Test
  void aBlockingAcceptHoldsNeitherTheEventLoopNorOtherUpgrades() throws Exception {
    CountDownLatch release = new CountDownLatch(1);
    CountDownLatch inAccept = new CountDownLatch(1);
    server =
        NettyServer.builder()
            .port(0)
            .host("localhost")
            .ioThreads(1) // every connection on the same event loop
            .ws(
                "/slow",
                r -> {
                  inAccept.countDown();
                  try {
                    release.await();
                  } catch (InterruptedException e) {
                    throw new IllegalStateException(e);
                  }
                  return track(new Probe());
                })
            .ws("/echo", r -> track(new Probe()))
            .build()
            .start();
    try (RawWsClient slow = RawWsClient.connect(server.uri())) {
      RawWsClient.Upgrade slowUp = RawWsClient.Upgrade.to(server.wsUri("/slow"));
      // not on the common pool: the JDK WebSocket client below needs it (one thread on 2 cores)
      CompletableFuture<RawWsClient.Response> slowResponse = new CompletableFuture<>();
      Thread.ofVirtual().start(() -> slowResponse.complete(slow.upgrade(slowUp)));
      assertThat(inAccept.await(10, TimeUnit.SECONDS)).isTrue();
      try (TestWsClient fast = TestWsClient.connect(server.wsUri("/echo"))) {
        serverSide();
        fast.sendText("not held up");
        assertThat(fast.awaitText()).isEqualTo("not held up");
      }
      release.countDown();
      slowResponse.get(10, TimeUnit.SECONDS).assertSwitched(slowUp.key());
      serverSide();
      slow.sendText("late");
      assertThat(slow.awaitText()).isEqualTo("late");
    }
  }

  @Test
  void callbacksRunOnVirtualThreadsNotOnTheEventLoop() throws Exception {
    BlockingQueue<String> threads = new LinkedBlockingQueue<>();
    server =
        NettyServer.builder()
            .port(0)
            .host("localhost")
            .ws(
                "/echo",
                r -> {
                  threads.add("accept " + Thread.currentThread().isVirtual());
                  Probe p = new Probe();
                  p.behaviour =
                      (s, m) -> {
                        threads.add("message " + Thread.currentThread().isVirtual());
                        s.send(m);
                      };
                  return track(p);
                })
            .build()
            .start();
    try (TestWsClient client = TestWsClient.connect(server.wsUri("/echo"))) {
      serverSide();
      client.sendText("x");
      assertThat(client.awaitText()).isEqualTo("x");
    }
    assertThat(threads).containsExactly("accept true", "message true");
  }

  @Test
  void stopClosesOpenWebSocketsWith1001AndThenRefusesConnections() throws Exception {
    server =
        NettyServer.builder()
            .port(0)
            .host("localhost")
            .ws("/echo", r -> track(new Probe()))
            .build()
            .start();
    int port = server.port();
    try (RawWsClient client = RawWsClient.open(server.wsUri("/echo"))) {
      Probe probe = serverSide();
      assertThat(server.webSocketSessions()).hasSize(1);
      CompletableFuture<Void> stopped = new CompletableFuture<>();
      Thread.ofVirtual()
          .start(
              () -> {
                try {
                  server.stop(Duration.ofSeconds(10));
                  stopped.complete(null);
                } catch (InterruptedException e) {
                  stopped.completeExceptionally(e);
                }
              });
      RawWsClient.Close close = client.awaitClose(); // answered: the drain ends at once
      assertThat(close).isEqualTo(new RawWsClient.Close(1001, "server shutting down", true));
      stopped.get(20, TimeUnit.SECONDS);
      assertThat(probe.awaitClosed()).isEqualTo(NettyServer.SHUTTING_DOWN);
      assertThat(server.webSocketSessions()).isEmpty();
    }
    assertThatThrownBy(() -> new Socket("localhost", port).close()).isInstanceOf(IOException.class);
  }

  @Test
  void closeWebSocketsClosesEveryOpenConnectionWithTheStatus() throws Exception {
    server =
        NettyServer.builder()
            .port(0)
            .host("localhost")
            .ws("/echo", r -> track(new Probe()))
            .build()
            .start();
    try (TestWsClient a = TestWsClient.connect(server.wsUri("/echo"));
        TestWsClient b = TestWsClient.connect(server.wsUri("/echo"))) {
      Probe pa = serverSide();
      Probe pb = serverSide();
      CompletableFuture<Void> all = server.closeWebSockets(CloseStatus.of(4100, "moving"));
      assertThat(a.awaitClose()).isEqualTo(new TestWsClient.Close(4100, "moving"));
      assertThat(b.awaitClose()).isEqualTo(new TestWsClient.Close(4100, "moving"));
      all.get(10, TimeUnit.SECONDS);
      assertThat(Map.of("a", pa.awaitClosed().code(), "b", pb.awaitClosed().code()))
          .isEqualTo(Map.of("a", 4100, "b", 4100));
    }
  }
}
