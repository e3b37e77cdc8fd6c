package io.servicekit.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.servicekit.broker.BrokerUnavailableException;
import io.servicekit.channel.ChannelHistory;
import io.servicekit.channel.Publication;
import io.servicekit.channel.Recovery;
import io.servicekit.channel.StreamPosition;
import io.servicekit.testkit.ChannelHistoryContract;
import io.servicekit.testkit.RedisServer;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletionException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

/** {@link RedisChannelHistory} against a real redis-server: the contract, restarts, outages. */
class RedisChannelHistoryTest {
  private static RedisServer redis;

  @BeforeAll
  static void startRedis() throws Exception {
    assumeTrue(
        RedisServer.binary().isPresent() || RedisServer.required(),
        "no redis-server on the PATH: Redis tests skipped");
    redis = RedisServer.start();
  }

  @AfterAll
  static void stopRedis() {
    if (redis != null) {
      redis.close();
    }
  }

  private static RedisChannelHistory history(int max, Duration age) {
    return RedisChannelHistory.builder(redis.uri())
        .prefix("test:ch:")
        .maxPublications(max)
        .maxAge(age)
        .commandTimeout(Duration.ofSeconds(2))
        .build();
  }

  /** The shared contract; every history it makes is over the same Redis and prefix. */
  @Nested
  class Contract extends ChannelHistoryContract {
    @Override
    protected ChannelHistory newHistory(int maxPublications, Duration maxAge) {
      return history(maxPublications, maxAge);
    }
  }

  @Test
  void keysAreTheDocumentedOnes() throws Exception {
    try (RedisChannelHistory h = history(10, Duration.ofMinutes(1))) {
      String c = "keys-" + System.nanoTime();
      Publication p = await(h.append(c, "{\"a\":1}"));
      try (var client = io.lettuce.core.RedisClient.create(redis.uri());
          var conn = client.connect()) {
        var cmd = conn.sync();
        assertThat(cmd.hget("test:ch:meta:" + c, "e")).isEqualTo(p.position().epoch());
        assertThat(cmd.hget("test:ch:meta:" + c, "n")).isEqualTo("1");
        var entries = cmd.xrange("test:ch:pubs:" + c, io.lettuce.core.Range.create("-", "+"));
        assertThat(entries).hasSize(1);
        assertThat(entries.get(0).getId()).isEqualTo("1-0");
        assertThat(entries.get(0).getBody()).containsEntry("d", "{\"a\":1}").containsKey("t");
        assertThat(cmd.pttl("test:ch:pubs:" + c)).isBetween(1L, 60_000L);
        assertThat(cmd.pttl("test:ch:meta:" + c)).isBetween(1L, 60_000L);
      }
    }
  }

  /** After FLUSHALL or a restart without persistence, old positions resync: never continued. */
  @Test
  void flushAndRestartGiveEpochChanged() throws Exception {
    try (RedisServer own = RedisServer.start();
        RedisChannelHistory h =
            RedisChannelHistory.builder(own.uri())
                .maxPublications(100)
                .commandTimeout(Duration.ofSeconds(2))
                .build()) {
      String c = "restart";
      Publication p1 = await(h.append(c, "1"));
      await(h.append(c, "2"));
      own.flushAll();
      Publication afterFlush = await(h.append(c, "3"));
      assertThat(afterFlush.position().epoch()).isNotEqualTo(p1.position().epoch());
      assertThat(afterFlush.offset()).isEqualTo(1);
      for (long k = 0; k <= 3; k++) {
        assertThat(await(h.since(c, new StreamPosition(p1.position().epoch(), k))))
            .as("a position of before the flush, offset %d", k)
            .isEqualTo(new Recovery.Resync(afterFlush.position(), Recovery.Reason.EPOCH_CHANGED));
      }

      own.kill();
      assertThatThrownBy(() -> await(h.append(c, "lost")))
          .as("Redis down: the stage fails, it is not a resync")
          .isInstanceOf(BrokerUnavailableException.class)
          .hasMessageContaining(own.uri())
          .hasMessageContaining("channel restart");
      assertThatThrownBy(() -> await(h.since(c, afterFlush.position())))
          .isInstanceOf(BrokerUnavailableException.class);
      own.restart();
      Publication afterRestart =
          org.awaitility.Awaitility.await()
              .atMost(Duration.ofSeconds(30))
              .ignoreExceptionsInstanceOf(BrokerUnavailableException.class)
              .until(() -> await(h.append(c, "4")), p -> true);
      assertThat(afterRestart.position().epoch())
          .isNotIn(p1.position().epoch(), afterFlush.position().epoch());
      assertThat(afterRestart.offset()).isEqualTo(1);
      assertThat(await(h.since(c, afterFlush.position())))
          .isEqualTo(new Recovery.Resync(afterRestart.position(), Recovery.Reason.EPOCH_CHANGED));
      assertThat(await(h.since(c, StreamPosition.start(afterRestart.position().epoch()))))
          .isEqualTo(new Recovery.Recovered(List.of(afterRestart), afterRestart.position()));
    }
  }

  @Test
  void unreachableRedisFailsAtBuild() throws Exception {
    String uri = "redis://127.0.0.1:" + RedisServer.freePort();
    assertThatThrownBy(() -> RedisChannelHistory.builder(uri).build())
        .isInstanceOf(RedisUnavailableException.class)
        .hasMessageContaining(uri);
  }

  @Test
  void settingsAreChecked() {
    var b = RedisChannelHistory.builder(redis.uri());
    assertThatThrownBy(() -> b.maxPublications(0)).hasMessageContaining("maxPublications");
    assertThatThrownBy(() -> b.maxAge(Duration.ZERO)).hasMessageContaining("maxAge");
    assertThatThrownBy(() -> b.commandTimeout(Duration.ofNanos(5)))
        .hasMessageContaining("commandTimeout");
    assertThatThrownBy(() -> b.prefix("")).hasMessageContaining("prefix");
    assertThatThrownBy(() -> b.prefix("a b")).hasMessageContaining("prefix");
    assertThatThrownBy(() -> RedisChannelHistory.builder("http://x"))
        .hasMessageContaining("redis://");
  }

  /**
   * Figures (not a check of speed): {@code -Dservicekit.figures=true} prints append and since
   * latencies on this machine, sequential, one connection.
   */
  @Test
  void figures() {
    assumeTrue(Boolean.getBoolean("servicekit.figures"), "figures: -Dservicekit.figures=true");
    try (RedisChannelHistory h = history(1000, Duration.ofMinutes(10))) {
      String c = "figures-" + System.nanoTime();
      String data = "{\"text\":\"" + "x".repeat(100) + "\"}";
      for (int i = 0; i < 500; i++) {
        await(h.append(c, data)); // warm-up
      }
      int n = 3000;
      long[] append = new long[n];
      for (int i = 0; i < n; i++) {
        long t0 = System.nanoTime();
        await(h.append(c, data));
        append[i] = System.nanoTime() - t0;
      }
      StreamPosition top = await(h.top(c));
      StreamPosition gap = new StreamPosition(top.epoch(), top.offset() - 999);
      int m = 200;
      long[] since = new long[m];
      long cpu0 = cpu();
      for (int i = 0; i < m; i++) {
        long t0 = System.nanoTime();
        Recovery r = await(h.since(c, gap));
        since[i] = System.nanoTime() - t0;
        assertThat(((Recovery.Recovered) r).publications()).hasSize(999);
      }
      long cpuPer = (cpu() - cpu0) / m;
      System.out.printf(
          "FIGURES RedisChannelHistory: append p50 %.3f ms p99 %.3f ms (n=%d, %d-byte data);"
              + " since over a 999-publication gap p50 %.3f ms p99 %.3f ms, JVM CPU %.3f ms per"
              + " recovery (n=%d)%n",
          pct(append, 50),
          pct(append, 99),
          n,
          data.length(),
          pct(since, 50),
          pct(since, 99),
          cpuPer / 1e6,
          m);
    }
  }

  private static long cpu() {
    return ((com.sun.management.OperatingSystemMXBean)
            java.lang.management.ManagementFactory.getOperatingSystemMXBean())
        .getProcessCpuTime();
  }

  private static double pct(long[] nanos, int p) {
    long[] s = nanos.clone();
    java.util.Arrays.sort(s);
    return s[Math.min(s.length - 1, s.length * p / 100)] / 1e6;
  }

  private static <T> T await(java.util.concurrent.CompletionStage<T> stage) {
    try {
      return stage.toCompletableFuture().join();
    } catch (CompletionException e) {
      if (e.getCause() instanceof RuntimeException r) {
        throw r;
      }
      throw e;
    }
  }
}
