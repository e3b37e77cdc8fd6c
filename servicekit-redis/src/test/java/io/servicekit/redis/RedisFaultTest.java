package io.servicekit.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.servicekit.Codec;
import io.servicekit.Hub;
import io.servicekit.JsonCodec;
import io.servicekit.Scheduler;
import io.servicekit.WsConfig;
import io.servicekit.WsListener;
import io.servicekit.WsSession;
import io.servicekit.broker.BrokerUnavailableException;
import io.servicekit.jetty.ServiceKitServer;
import io.servicekit.sse.ResumableStreams;
import io.servicekit.sse.SseConfig;
import io.servicekit.sse.SseEvent;
import io.servicekit.sse.SseListener;
import io.servicekit.sse.SseParser;
import io.servicekit.testkit.RedisServer;
import io.servicekit.testkit.TestSseClient;
import io.servicekit.testkit.TestWsClient;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Faults injected into a real redis-server (its own, per test): paused with SIGSTOP, flushed. The
 * figures asserted here are the ones RELIABILITY.md reports.
 */
class RedisFaultTest {
  /** Command timeout of the nodes under test: short, so a stall is noticed within the test. */
  static final Duration COMMAND_TIMEOUT = Duration.ofSeconds(1);

  /** How long Redis is frozen. */
  static final Duration PAUSE = Duration.ofSeconds(4);

  /** The canary's period, and the largest gap between two of its ticks the test accepts. */
  static final Duration CANARY_PERIOD = Duration.ofMillis(50);

  static final Duration CANARY_BOUND = Duration.ofMillis(1000);

  private RedisServer redis;
  private final List<AutoCloseable> open = new ArrayList<>();

  @BeforeEach
  void startRedis() throws Exception {
    assumeTrue(
        RedisServer.binary().isPresent() || RedisServer.required(),
        "no redis-server on the PATH: Redis tests skipped");
    redis = RedisServer.start();
  }

  @AfterEach
  void stopAll() throws Exception {
    for (int i = open.size() - 1; i >= 0; i--) {
      open.get(i).close();
    }
    if (redis != null) {
      redis.close();
    }
  }

  /** A node: clustered hub on /ws (pings every 200 ms), resumable feed on /feed, shared store. */
  private final class Node {
    final RedisBroker broker;
    final RedisEventStore store;
    final Hub<Object> hub = new Hub<>();
    final ResumableStreams streams;
    final ServiceKitServer server;

    Node() throws Exception {
      broker =
          RedisBroker.builder(redis.uri())
              .reconnectDelay(Duration.ofMillis(100))
              .commandTimeout(COMMAND_TIMEOUT)
              .connect();
      open.add(broker);
      hub.cluster(broker, "f.hub", JsonCodec.INSTANCE);
      store =
          RedisEventStore.builder(redis.uri())
              .prefix("f:sse:")
              .maxLen(100)
              .reconnectDelay(Duration.ofMillis(100))
              .commandTimeout(COMMAND_TIMEOUT)
              .connect();
      open.add(store);
      streams =
          ResumableStreams.builder()
              .store(store)
              .streamId(r -> "feed")
              .broker(broker, "f.sse")
              .build();
      WsConfig ws =
          WsConfig.builder()
              .pingPeriod(Duration.ofMillis(200))
              .pongPeriod(Duration.ofSeconds(30))
              .build();
      server =
          ServiceKitServer.builder()
              .port(0)
              .ws(
                  "/ws",
                  r ->
                      new WsListener<Object, Object>() {
                        @Override
                        public Codec<Object, Object> codec() {
                          return JsonCodec.INSTANCE;
                        }

                        @Override
                        public String name() {
                          return "Canary";
                        }

                        @Override
                        public void onOpen(WsSession<Object> session) {
                          hub.register(session);
                        }

                        @Override
                        public void onMessage(WsSession<Object> session, Object message) {}
                      },
                  ws)
              .sse(
                  "/feed",
                  r -> SseListener.of("Feed", JsonCodec.INSTANCE, s -> {}),
                  SseConfig.builder().resumable(streams).build())
              .build()
              .start();
      open.add(server);
    }
  }

  /**
   * Ticks on the shared scheduler and records the largest gap between two ticks; every fourth tick
   * runs {@code work} there too (what an application's timer would do: publish, claim).
   */
  private static final class Canary implements AutoCloseable {
    final AtomicLong ticks = new AtomicLong();
    final AtomicLong maxGapNanos = new AtomicLong();
    volatile Runnable work;
    private volatile long last = System.nanoTime();
    private volatile boolean stopped;

    Canary() {
      schedule();
    }

    private void schedule() {
      Scheduler.system().schedule(this::tick, CANARY_PERIOD);
    }

    private void tick() {
      long now = System.nanoTime();
      maxGapNanos.accumulateAndGet(now - last, Math::max);
      last = now;
      Runnable w = work;
      if (w != null && ticks.incrementAndGet() % 4 == 0) {
        w.run();
      } else if (w == null) {
        ticks.incrementAndGet();
      }
      if (!stopped) {
        schedule();
      }
    }

    void reset() {
      last = System.nanoTime();
      maxGapNanos.set(0);
    }

    @Override
    public void close() {
      stopped = true;
      work = null;
    }
  }

  @Test
  void aPausedRedisDelaysNoSchedulerTaskNoHeartbeatAndEveryPublishHasAFate() throws Exception {
    Node node = new Node();
    TestWsClient ws = TestWsClient.connect(node.server.wsUri("/ws"));
    open.add(ws);
    await().until(() -> node.hub.size() == 1);
    Canary canary = new Canary();
    open.add(canary);
    await().until(() -> canary.ticks.get() >= 5);

    List<CompletableFuture<?>> fates = new CopyOnWriteArrayList<>();
    redis.pause();
    canary.reset();
    long pausedAt = canary.ticks.get();
    // While Redis is frozen, the shared scheduler thread publishes and claims: none of it may wait.
    canary.work =
        () -> {
          fates.add(node.hub.broadcastAsync(Map.of("n", 1)).toCompletableFuture());
          fates.add(node.streams.publishAsync("feed", SseEvent.of("\"x\"")).toCompletableFuture());
          fates.add(
              node.store
                  .claim("c" + System.nanoTime(), Duration.ofSeconds(5))
                  .toCompletableFuture());
        };
    long ticksForPause = PAUSE.toMillis() / CANARY_PERIOD.toMillis();
    List<Long> pings = new ArrayList<>();
    while (canary.ticks.get() - pausedAt < ticksForPause) {
      // Heartbeats keep arriving: record each ping the client gets.
      if (ws.awaitMessage(Duration.ofSeconds(5)) instanceof TestWsClient.Text t
          && t.text().contains("\"ping\"")) {
        pings.add(System.nanoTime());
      }
    }
    canary.work = null;
    long maxGapMillis = canary.maxGapNanos.get() / 1_000_000;
    long maxPingGapMillis = 0;
    for (int i = 1; i < pings.size(); i++) {
      maxPingGapMillis = Math.max(maxPingGapMillis, (pings.get(i) - pings.get(i - 1)) / 1_000_000);
    }
    redis.resume();

    assertThat(maxGapMillis)
        .as("largest gap between canary ticks while Redis was paused (ms)")
        .isLessThan(CANARY_BOUND.toMillis());
    assertThat(pings).as("pings during the pause").hasSizeGreaterThanOrEqualTo(5);
    assertThat(maxPingGapMillis)
        .as("largest gap between two pings while Redis was paused (ms)")
        .isLessThan(CANARY_BOUND.toMillis());
    // Every publish made during the pause has a fate soon after Redis resumes: confirmed (Redis
    // ran it on resume), or failed as BrokerUnavailableException; a claim answers false.
    await()
        .atMost(Duration.ofSeconds(15))
        .until(() -> fates.stream().allMatch(CompletableFuture::isDone));
    long notConfirmed = 0;
    for (CompletableFuture<?> f : fates) {
      if (f.isCompletedExceptionally()) {
        notConfirmed++;
        assertThat(f.exceptionNow()).isInstanceOf(BrokerUnavailableException.class);
      }
    }
    assertThat(notConfirmed).as("publishes not confirmed during the pause").isPositive();
    // Redis answers again: publishing is accepted and confirmed.
    await()
        .atMost(Duration.ofSeconds(15))
        .until(() -> node.broker.available() && node.store.available());
    assertThat(node.hub.broadcastAsync(Map.of("n", 2)).toCompletableFuture().get()).isEqualTo(1);
    System.out.printf(
        "RedisFaultTest: paused %d ms; canary max gap %d ms (period %d ms); %d pings, max gap %d"
            + " ms (period 200 ms); %d publishes/claims during the pause, %d not confirmed%n",
        PAUSE.toMillis(),
        maxGapMillis,
        CANARY_PERIOD.toMillis(),
        pings.size(),
        maxPingGapMillis,
        fates.size(),
        notConfirmed);
  }

  @Test
  void aFlushNeverRepeatsIdsAndAnIdFromBeforeItGetsAResync() throws Exception {
    Node node = new Node();
    TestSseClient live =
        TestSseClient.builder(node.server.uri().resolve("/feed")).reconnect(false).connect();
    open.add(live);
    live.awaitOpen();
    await().until(() -> node.streams.liveCount("feed") == 1);
    List<String> before = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      before.add(
          node.streams
              .publishAsync("feed", SseEvent.of("\"b" + i + "\""))
              .toCompletableFuture()
              .get());
    }
    redis.flushAll();
    List<String> after = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      after.add(
          node.streams
              .publishAsync("feed", SseEvent.of("\"a" + i + "\""))
              .toCompletableFuture()
              .get());
    }
    // The open client sees six distinct ids, in order: none goes back or repeats.
    List<SseParser.Event> seen = live.awaitEvents(6);
    Set<String> ids = new HashSet<>();
    seen.forEach(e -> ids.add(e.id()));
    assertThat(ids).hasSize(6);
    assertThat(seen)
        .extracting(SseParser.Event::id)
        .containsExactlyElementsOf(concat(before, after));
    // A client resuming from before the flush is told to resync, not given a wrong continuation.
    TestSseClient resumed =
        TestSseClient.builder(node.server.uri().resolve("/feed"))
            .reconnect(false)
            .lastEventId(before.get(1))
            .connect();
    open.add(resumed);
    resumed.awaitOpen();
    SseParser.Event first = resumed.awaitEvent();
    assertThat(first.type()).isEqualTo("resync");
    assertThat(first.data()).contains(before.get(1)).contains("unknown or expired");
    // A client resuming from after the flush gets exactly what it missed.
    TestSseClient exact =
        TestSseClient.builder(node.server.uri().resolve("/feed"))
            .reconnect(false)
            .lastEventId(after.get(0))
            .connect();
    open.add(exact);
    exact.awaitOpen();
    assertThat(exact.awaitEvents(2))
        .extracting(SseParser.Event::id)
        .containsExactly(after.get(1), after.get(2));
  }

  private static List<String> concat(List<String> a, List<String> b) {
    List<String> all = new ArrayList<>(a);
    all.addAll(b);
    return all;
  }
}
