package io.servicekit.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.servicekit.channel.Channels;
import io.servicekit.jetty.ServiceKitServer;
import io.servicekit.testkit.RedisServer;
import io.servicekit.testkit.TestWsClient;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Two nodes, each a {@link ServiceKitServer} with its own {@link Channels}, {@link RedisBroker} and
 * {@link RedisChannelHistory} over one real redis-server: a client that leaves node A and comes
 * back on node B with its position gets exactly what was published meanwhile on both nodes; a gap
 * larger than the history is a resync; publishers on both nodes at once give every subscriber
 * consecutive offsets.
 */
class ChannelClusterTest {
  private static RedisServer redis;
  private final List<AutoCloseable> closeables = new ArrayList<>();
  private int prefixes;

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

  @AfterEach
  void tearDown() throws Exception {
    for (int i = closeables.size() - 1; i >= 0; i--) {
      closeables.get(i).close();
    }
  }

  /** One node; nodes made by one test share their Redis key prefix and broker topic. */
  private record Node(Channels channels, ServiceKitServer server) {}

  private Node node(String prefix, int maxPublications) throws Exception {
    RedisBroker broker = RedisBroker.connect(redis.uri());
    closeables.add(broker);
    RedisChannelHistory history =
        RedisChannelHistory.builder(redis.uri())
            .prefix(prefix)
            .maxPublications(maxPublications)
            .maxAge(Duration.ofMinutes(5))
            .build();
    closeables.add(history);
    Channels channels = Channels.builder().history(history).broker(broker, prefix + "live").build();
    closeables.add(channels);
    ServiceKitServer server =
        ServiceKitServer.builder().port(0).ws("/ch", channels.wsHandler()).build().start();
    closeables.add(server);
    return new Node(channels, server);
  }

  private String prefix() {
    return "cluster" + (++prefixes) + System.nanoTime() + ":";
  }

  private TestWsClient client(Node node) {
    TestWsClient c = TestWsClient.connect(node.server().wsUri("/ch"));
    closeables.add(c);
    return c;
  }

  private static Map<String, Object> subscribe(TestWsClient c, int id, Object since) {
    c.sendJson(
        since == null
            ? Map.of("type", "subscribe", "id", id, "channel", "room")
            : Map.of("type", "subscribe", "id", id, "channel", "room", "since", since));
    return c.awaitJsonOfType("reply");
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> data(Map<String, Object> reply) {
    assertThat(reply).doesNotContainKey("error");
    return (Map<String, Object>) reply.get("data");
  }

  private static long offset(Map<String, Object> m) {
    return ((Number) m.get("offset")).longValue();
  }

  @Test
  void aClientRecoversOnAnotherNodeExactlyWhatBothNodesPublished() throws Exception {
    String prefix = prefix();
    Node a = node(prefix, 1000);
    Node b = node(prefix, 1000);
    TestWsClient onA = client(a);
    Map<String, Object> first = data(subscribe(onA, 1, null));
    String epoch = (String) first.get("epoch");
    long start = offset(first);
    for (int i = 1; i <= 3; i++) {
      a.channels().publish("room", Map.of("n", i)).toCompletableFuture().get(10, TimeUnit.SECONDS);
      assertThat(offset(onA.awaitJsonOfType("pub"))).isEqualTo(start + i);
    }
    long held = start + 3;
    onA.abort();

    int n = 40;
    for (int i = 0; i < n; i++) {
      Node publisher = i % 2 == 0 ? a : b;
      publisher
          .channels()
          .publish("room", Map.of("n", 4 + i))
          .toCompletableFuture()
          .get(10, TimeUnit.SECONDS);
    }

    TestWsClient onB = client(b);
    onB.sendJson(
        Map.of(
            "type",
            "subscribe",
            "id",
            1,
            "channel",
            "room",
            "since",
            Map.of("epoch", epoch, "offset", held)));
    List<Long> recovered = new ArrayList<>();
    List<Object> payloads = new ArrayList<>();
    Map<String, Object> reply;
    while (true) {
      Map<String, Object> m = onB.awaitJson();
      if ("reply".equals(m.get("type"))) {
        reply = m;
        break;
      }
      assertThat(m.get("type")).isEqualTo("pub");
      assertThat(m.get("epoch")).isEqualTo(epoch);
      recovered.add(offset(m));
      payloads.add(((Map<?, ?>) m.get("data")).get("n"));
    }
    List<Long> expected = new ArrayList<>();
    List<Object> expectedPayloads = new ArrayList<>();
    for (int i = 1; i <= n; i++) {
      expected.add(held + i);
      expectedPayloads.add(3 + i);
    }
    assertThat(recovered).isEqualTo(expected);
    assertThat(payloads).isEqualTo(expectedPayloads);
    Map<String, Object> d = data(reply);
    assertThat(d.get("recovered")).isEqualTo(true);
    assertThat(offset(d)).isEqualTo(held + n);

    // live ones continue on B, from either node
    a.channels().publish("room", "from A").toCompletableFuture().get(10, TimeUnit.SECONDS);
    assertThat(offset(onB.awaitJsonOfType("pub"))).isEqualTo(held + n + 1);
  }

  @Test
  void aGapLargerThanTheSharedHistoryIsAResync() throws Exception {
    String prefix = prefix();
    Node a = node(prefix, 10);
    Node b = node(prefix, 10);
    TestWsClient onA = client(a);
    Map<String, Object> first = data(subscribe(onA, 1, null));
    onA.abort();
    for (int i = 0; i < 25; i++) {
      b.channels().publish("room", i).toCompletableFuture().get(10, TimeUnit.SECONDS);
    }
    TestWsClient onB = client(b);
    Map<String, Object> d =
        data(subscribe(onB, 1, Map.of("epoch", first.get("epoch"), "offset", offset(first))));
    assertThat(d.get("recovered")).isEqualTo(false);
    assertThat(d.get("resync")).isEqualTo("evicted");
    assertThat(offset(d)).isEqualTo(offset(first) + 25);
  }

  @Test
  void publishersOnBothNodesGiveEverySubscriberConsecutiveOffsets() throws Exception {
    String prefix = prefix();
    Node a = node(prefix, 10_000);
    Node b = node(prefix, 10_000);
    TestWsClient onA = client(a);
    TestWsClient onB = client(b);
    long startA = offset(data(subscribe(onA, 1, null)));
    long startB = offset(data(subscribe(onB, 1, null)));
    int perThread = 100;
    ExecutorService pool = Executors.newFixedThreadPool(4);
    try {
      List<Future<?>> done = new ArrayList<>();
      for (int t = 0; t < 4; t++) {
        Node publisher = t % 2 == 0 ? a : b;
        done.add(
            pool.submit(
                () -> {
                  for (int i = 0; i < perThread; i++) {
                    publisher.channels().publish("room", i).toCompletableFuture().join();
                  }
                  return null;
                }));
      }
      for (Future<?> f : done) {
        f.get(60, TimeUnit.SECONDS);
      }
    } finally {
      pool.shutdownNow();
    }
    int total = 4 * perThread;
    for (var pair : List.of(Map.entry(onA, startA), Map.entry(onB, startB))) {
      long last = pair.getValue();
      for (int i = 0; i < total; i++) {
        long o = offset(pair.getKey().awaitJsonOfType("pub"));
        assertThat(o).as("after %d", last).isEqualTo(last + 1);
        last = o;
      }
    }
  }
}
