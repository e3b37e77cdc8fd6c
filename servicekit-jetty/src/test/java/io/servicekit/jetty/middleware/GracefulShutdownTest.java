package io.servicekit.jetty.middleware;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.servicekit.jetty.GracefulShutdown;
import io.servicekit.jetty.GracefulShutdown.IncompleteShutdownException;
import io.servicekit.jetty.ServiceKitServer;
import io.servicekit.testkit.TestWsClient;
import java.io.IOException;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Upstream graceful_test.go (§13.9) and the W-44..W-47 fixes, in-process. The real-process test
 * (SIGTERM to a running demo) is in servicekit-demo.
 */
class GracefulShutdownTest {
  private final ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor();
  private final List<Runnable> held = new CopyOnWriteArrayList<>();
  private final TestStreams sse = new TestStreams();
  private ServiceKitServer server;

  private ServiceKitServer server() throws Exception {
    server =
        ServiceKitServer.builder()
            .port(0)
            .ws("/ws/echo", r -> MiddlewareStreamsTest.echo(), MiddlewareStreamsTest.localOrigins())
            .route("/events", sse)
            .route("/slow", Handlers.holding(held::add))
            .route("/", Handlers.ok())
            .build();
    return server;
  }

  @AfterEach
  void tearDown() throws Exception {
    for (Runnable r : held) {
      try {
        r.run(); // release what a test left hanging
      } catch (RuntimeException e) {
        // already completed or cut
      }
    }
    if (server != null) {
      server.stop();
    }
    pool.shutdownNow();
  }

  private Future<GracefulShutdown.Report> runInBackground(GracefulShutdown shutdown)
      throws Exception {
    Future<GracefulShutdown.Report> f = pool.submit(shutdown::run);
    // Signals may be sent only once the handlers are installed (else the JVM's default applies).
    await()
        .atMost(Duration.ofSeconds(10))
        .until(() -> shutdown.ready().toCompletableFuture().isDone() || f.isDone());
    return f;
  }

  @Test
  void parentCancellationStopsCleanly() throws Exception { // TestGracefulShutdown_Context
    CompletableFuture<Void> parent = new CompletableFuture<>();
    Future<GracefulShutdown.Report> run =
        runInBackground(GracefulShutdown.of(server()).noSignals().cancelOn(parent));
    assertThat(Http.get(server.port(), "/").status()).isEqualTo(200); // _DefaultConfig
    parent.complete(null);
    GracefulShutdown.Report report = run.get(5, TimeUnit.SECONDS);
    assertThat(report.clean()).isTrue();
    assertThat(report.trigger()).isEqualTo("parent cancelled");
    assertThat(server.jetty().isStopped()).isTrue();
  }

  @Test
  void configuredSignalStartsTheShutdown() throws Exception { // TestGracefulShutdown_Signal
    Future<GracefulShutdown.Report> run =
        runInBackground(GracefulShutdown.of(server()).signals("SIGUSR1"));
    kill("USR1");
    GracefulShutdown.Report report = run.get(10, TimeUnit.SECONDS);
    assertThat(report.trigger()).isEqualTo("received signal SIGUSR1");
    assertThat(report.clean()).isTrue();
  }

  @Test
  void callbacksRunInOrderWhileConnectionsAreOpen() throws Exception { // _OnShutdownCallbacks
    List<String> calls = new CopyOnWriteArrayList<>();
    List<Integer> openWebSockets = new CopyOnWriteArrayList<>();
    CompletableFuture<Void> parent = new CompletableFuture<>();
    GracefulShutdown shutdown =
        GracefulShutdown.of(server())
            .noSignals()
            .cancelOn(parent)
            .onShutdown(() -> calls.add("1"))
            .onShutdown(
                () -> {
                  calls.add("2");
                  openWebSockets.add(server.webSocketSessions().size());
                })
            .onShutdown(() -> calls.add("3"));
    Future<GracefulShutdown.Report> run = runInBackground(shutdown);
    try (TestWsClient ws = TestWsClient.connect(server.wsUri("/ws/echo"))) {
      ws.sendText("x");
      assertThat(ws.awaitText()).isEqualTo("x");
      parent.complete(null);
      assertThat(run.get(10, TimeUnit.SECONDS).clean()).isTrue();
    }
    assertThat(calls).containsExactly("1", "2", "3");
    assertThat(openWebSockets).containsExactly(1);
  }

  @Test
  void webSocketsGet1001SseEndsNewRequestsGet503InFlightFinishesW45() throws Exception {
    CompletableFuture<Void> parent = new CompletableFuture<>();
    GracefulShutdown shutdown =
        GracefulShutdown.of(server())
            .noSignals()
            .cancelOn(parent)
            .onShutdown(() -> sse.endAll("shutdown"));
    Future<GracefulShutdown.Report> run = runInBackground(shutdown);
    int port = server.port();
    Future<Http.Reply> slow = pool.submit(() -> Http.get(port, "/slow"));
    await().until(() -> held.size() == 1);
    TestWsClient ws = TestWsClient.connect(server.wsUri("/ws/echo"));
    try (ws;
        TestStreams.Client stream = new TestStreams.Client(port, "/events")) {
      assertThat(stream.nextLine()).isEqualTo("data: hello");
      parent.complete(null);
      TestWsClient.Close close = ws.awaitClose();
      assertThat(close.code()).isEqualTo(1001);
      assertThat(close.reason()).isEqualTo("server shutting down");
      assertThat(stream.nextLine()).isEqualTo("event: shutdown");
      assertThat(stream.nextLine()).isEqualTo("data: bye");
      // Draining: the in-flight /slow request holds the server open; new work is refused.
      Http.Reply refused = Http.get(port, "/");
      assertThat(refused.status()).isEqualTo(503);
      assertThat(Http.to(port).path("/ws/echo").upgrade().send().status()).isEqualTo(503);
      assertThat(run.isDone()).isFalse();
      held.get(0).run();
      assertThat(slow.get(10, TimeUnit.SECONDS).body()).isEqualTo("released");
      GracefulShutdown.Report report = run.get(10, TimeUnit.SECONDS);
      assertThat(report.clean()).isTrue();
      assertThat(report.webSocketsClosed()).isEqualTo(1);
    }
  }

  @Test
  void drainTimeoutForceClosesAndSaysWhatWasCutW44() throws Exception {
    CompletableFuture<Void> parent = new CompletableFuture<>();
    Future<GracefulShutdown.Report> run =
        runInBackground(
            GracefulShutdown.of(server())
                .noSignals()
                .cancelOn(parent)
                .drainTimeout(Duration.ofMillis(200)));
    int port = server.port();
    Future<Http.Reply> slow = pool.submit(() -> Http.get(port, "/slow"));
    await().until(() -> held.size() == 1);
    long start = System.nanoTime();
    parent.complete(null);
    assertThatThrownBy(() -> run.get(5, TimeUnit.SECONDS))
        .isInstanceOf(ExecutionException.class)
        .cause()
        .isInstanceOf(IncompleteShutdownException.class)
        .hasMessageContaining("drain timeout 200ms exceeded")
        .hasMessageContaining("force-closed 1 in-flight request");
    assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(2));
    // The cut request's connection was really closed (upstream left it running).
    try {
      Http.Reply cut = slow.get(10, TimeUnit.SECONDS);
      assertThat(cut.status())
          .as("an error status at most, never the handler's answer")
          .isGreaterThanOrEqualTo(500);
    } catch (ExecutionException e) {
      assertThat(e).hasCauseInstanceOf(IOException.class); // or simply closed
    }
  }

  @Test
  void startFailureIsReturnedAtOnceWithoutCallbacks() throws Exception { // _ServerError
    try (ServerSocket taken = new ServerSocket(0)) {
      List<String> calls = new CopyOnWriteArrayList<>();
      server =
          ServiceKitServer.builder().port(taken.getLocalPort()).route("/", Handlers.ok()).build();
      GracefulShutdown shutdown =
          GracefulShutdown.of(server).noSignals().onShutdown(() -> calls.add("ran"));
      assertThatThrownBy(shutdown::run).isInstanceOf(IOException.class);
      assertThat(calls).isEmpty();
    }
  }

  @Test
  void callbacksAreBoundedAndIsolatedW46() throws Exception {
    List<String> calls = new CopyOnWriteArrayList<>();
    CountDownLatch never = new CountDownLatch(1);
    CompletableFuture<Void> parent = new CompletableFuture<>();
    GracefulShutdown shutdown =
        GracefulShutdown.of(server())
            .noSignals()
            .cancelOn(parent)
            .callbackTimeout(Duration.ofMillis(100))
            .onShutdown(
                () -> {
                  throw new IllegalStateException("broken hub");
                })
            .onShutdown(
                () -> {
                  try {
                    never.await();
                  } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                  }
                })
            .onShutdown(() -> calls.add("third"));
    Future<GracefulShutdown.Report> run = runInBackground(shutdown);
    parent.complete(null);
    assertThatThrownBy(() -> run.get(10, TimeUnit.SECONDS))
        .cause()
        .hasMessageContaining("callback #1 failed: java.lang.IllegalStateException: broken hub")
        .hasMessageContaining("callback #2 still running after 100ms");
    assertThat(calls).containsExactly("third");
    assertThat(server.jetty().isStopped()).isTrue();
    never.countDown();
  }

  @Test
  void emptySignalListIsRefusedAndASecondSignalForcesW47() throws Exception {
    assertThatThrownBy(() -> GracefulShutdown.of(server()).signals())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("noSignals()");
    assertThatThrownBy(() -> GracefulShutdown.of(server).drainTimeout(Duration.ZERO))
        .hasMessageContaining("drainTimeout must be positive");
    Future<GracefulShutdown.Report> run =
        runInBackground(GracefulShutdown.of(server).signals("USR1"));
    int port = server.port();
    pool.submit(() -> Http.get(port, "/slow"));
    await().until(() -> held.size() == 1);
    kill("USR1");
    await().until(() -> Http.get(port, "/").status() == 503); // draining, default 30 s
    kill("USR1");
    assertThatThrownBy(() -> run.get(10, TimeUnit.SECONDS))
        .cause()
        .hasMessageContaining("second signal SIGUSR1")
        .hasMessageContaining("force-closed 1 in-flight request");
  }

  private static void kill(String signal) throws Exception {
    Process p =
        new ProcessBuilder("kill", "-" + signal, Long.toString(ProcessHandle.current().pid()))
            .inheritIO()
            .start();
    assertThat(p.waitFor(10, TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue()).isZero();
  }
}
