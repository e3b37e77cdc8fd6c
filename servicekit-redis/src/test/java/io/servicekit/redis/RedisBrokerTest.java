package io.servicekit.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.servicekit.broker.Broker;
import io.servicekit.broker.MemoryBroker;
import io.servicekit.broker.PayloadTooLargeException;
import io.servicekit.testkit.RedisServer;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** RedisBroker against a real redis-server. */
class RedisBrokerTest {
  private static RedisServer redis;

  @BeforeAll
  static void startRedis() throws Exception {
    assumeTrue(
        RedisServer.binary().isPresent() || RedisServer.required(),
        "no redis-server on the PATH: Redis tests skipped");
    redis = RedisServer.start();
  }

  @AfterAll
  static void stopRedis() throws Exception {
    if (redis != null) {
      redis.close();
    }
  }

  private static String poll(BlockingQueue<String> q) throws InterruptedException {
    return q.poll(10, TimeUnit.SECONDS);
  }

  @Test
  void topicsAndPatternsAcrossTwoConnections() throws Exception {
    try (RedisBroker a = RedisBroker.connect(redis.uri());
        RedisBroker b = RedisBroker.connect(redis.uri())) {
      BlockingQueue<String> exact = new LinkedBlockingQueue<>();
      BlockingQueue<String> pattern = new LinkedBlockingQueue<>();
      Broker.Subscription s =
          b.subscribe("t1.x", (t, p) -> exact.add(t + "=" + new String(p, StandardCharsets.UTF_8)));
      b.subscribePattern("t1.*", (t, p) -> pattern.add(t + "=" + new String(p)));
      a.publish("t1.x", "hello".getBytes(StandardCharsets.UTF_8));
      a.publish("t1.y", "there".getBytes(StandardCharsets.UTF_8));
      assertThat(poll(exact)).isEqualTo("t1.x=hello");
      assertThat(poll(pattern)).isEqualTo("t1.x=hello");
      assertThat(poll(pattern)).isEqualTo("t1.y=there");
      s.close();
      a.publish("t1.x", "again".getBytes(StandardCharsets.UTF_8));
      assertThat(poll(pattern)).isEqualTo("t1.x=again");
      assertThat(exact).isEmpty(); // unsubscribed; the pattern message above arrived after it
      assertThat(a.publishFailures()).isZero();
    }
  }

  @Test
  void oversizedPayloadsAreRefusedWithTheLimit() {
    try (RedisBroker a = RedisBroker.builder(redis.uri()).maxPayloadBytes(10).connect()) {
      assertThatThrownBy(() -> a.publish("t", new byte[11]))
          .isInstanceOf(PayloadTooLargeException.class)
          .hasMessageContaining("11 bytes")
          .hasMessageContaining("is 10");
    }
  }

  @Test
  void unreachableAtStartIsAClearErrorOrLocalAsConfigured() throws Exception {
    String nowhere = "redis://127.0.0.1:" + RedisServer.freePort();
    assertThatThrownBy(() -> RedisBroker.connect(nowhere))
        .isInstanceOf(RedisUnavailableException.class)
        .hasMessageContaining("cannot reach Redis at " + nowhere);
    Broker local = RedisBroker.builder(nowhere).maxPayloadBytes(99).connectOrLocal();
    assertThat(local).isInstanceOf(MemoryBroker.class);
    assertThat(local.maxPayloadBytes()).isEqualTo(99);
    assertThatThrownBy(() -> RedisBroker.connect("localhost:6379"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("must start with redis://");
    assertThatThrownBy(() -> RedisBroker.builder("localhost:6379").connectOrLocal())
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> RedisEventStore.builder(nowhere).prefix("p:").maxLen(10).connect())
        .isInstanceOf(RedisUnavailableException.class);
  }
}
