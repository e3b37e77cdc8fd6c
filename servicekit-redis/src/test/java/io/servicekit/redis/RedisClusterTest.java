package io.servicekit.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.servicekit.Codec;
import io.servicekit.Hub;
import io.servicekit.JsonCodec;
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
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Two ServiceKit servers in one JVM sharing one real redis-server. */
class RedisClusterTest {
  private static final WsConfig WS =
      WsConfig.builder().pingPeriod(Duration.ofHours(1)).pongPeriod(Duration.ofHours(1)).build();
  private static RedisServer redis;
  private final List<AutoCloseable> open = new ArrayList<>();

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

  @AfterEach
  void closeAll() throws Exception {
    for (int i = open.size() - 1; i >= 0; i--) {
      open.get(i).close();
    }
  }

  /** One node: a chat hub with one room, and a resumable SSE feed, both spanning nodes. */
  private final class Node {
    final RedisBroker broker;
    final RedisEventStore store;
    final Hub<Object> hub = new Hub<>();
    final ResumableStreams streams;
    final ServiceKitServer server;

    Node(String prefix) throws Exception {
      broker = RedisBroker.builder(redis.uri()).reconnectDelay(Duration.ofMillis(100)).connect();
      open.add(broker);
      hub.cluster(broker, prefix + ".chat", JsonCodec.INSTANCE);
      store =
          RedisEventStore.builder(redis.uri())
              .prefix(prefix + ":sse:")
              .maxLen(100)
              .reconnectDelay(Duration.ofMillis(100))
              .connect();
      open.add(store);
      streams =
          ResumableStreams.builder()
              .store(store)
              .idGen(store.idGen())
              .streamId(r -> "feed")
              .broker(broker, prefix + ".sse")
              .build();
      server =
          ServiceKitServer.builder()
              .port(0)
              .ws(
                  "/chat",
                  r ->
                      new WsListener<Object, Object>() {
                        @Override
                        public Codec<Object, Object> codec() {
                          return JsonCodec.INSTANCE;
                        }

                        @Override
                        public String name() {
                          return "Chat";
                        }

                        @Override
                        public void onOpen(WsSession<Object> session) {
                          hub.register(session);
                          hub.join(session, "room");
                        }

                        @Override
                        public void onMessage(WsSession<Object> session, Object m) {
                          try {
                            hub.broadcastToRoom("room", m);
                          } catch (BrokerUnavailableException e) {
                            session.sendError(e.getMessage()); // refused: nobody got it
                          }
                        }
                      },
                  WS)
              .sse(
                  "/feed",
                  r -> SseListener.of("Feed", JsonCodec.INSTANCE, s -> {}),
                  SseConfig.builder().resumable(streams).build())
              .build()
              .start();
      open.add(server);
    }

    TestWsClient chat() {
      int before = hub.size();
      TestWsClient c = TestWsClient.connect(server.wsUri("/chat"));
      open.add(c);
      await().until(() -> hub.size() == before + 1);
      return c;
    }
  }

  private static String key(Map<String, Object> m) {
    return m.get("from") + "/" + m.get("n");
  }

  @Test
  void chatAcrossNodesHasNoDuplicatesAndNoLoss() throws Exception {
    Node n1 = new Node("t1");
    Node n2 = new Node("t1");
    List<TestWsClient> clients = List.of(n1.chat(), n1.chat(), n2.chat(), n2.chat());
    int perClient = 25;
    for (int n = 0; n < perClient; n++) {
      for (int c = 0; c < clients.size(); c++) {
        clients.get(c).sendJson(Map.of("from", "c" + c, "n", n));
      }
    }
    int total = perClient * clients.size();
    for (TestWsClient client : clients) {
      Set<String> seen = new HashSet<>();
      for (int i = 0; i < total; i++) {
        assertThat(seen.add(key(client.awaitJson()))).as("no duplicate").isTrue();
      }
      assertThat(seen).hasSize(total);
    }
    // nothing more arrives: send a marker and check it is the next message everywhere
    clients.get(0).sendJson(Map.of("from", "end", "n", 0));
    for (TestWsClient client : clients) {
      assertThat(key(client.awaitJson())).isEqualTo("end/0");
    }
    assertThat(n1.broker.publishFailures() + n2.broker.publishFailures()).isZero();
  }

  @Test
  void sseClientResumesOnTheOtherNode() throws Exception {
    Node n1 = new Node("t2");
    Node n2 = new Node("t2");
    TestSseClient a =
        TestSseClient.builder(n1.server.uri().resolve("/feed")).reconnect(false).connect();
    open.add(a);
    a.awaitOpen();
    await().until(() -> n1.streams.liveCount("feed") == 1);
    List<String> ids = new ArrayList<>();
    for (int i = 1; i <= 4; i++) {
      ResumableStreams on = i % 2 == 1 ? n1.streams : n2.streams; // both nodes publish
      on.publish("feed", SseEvent.named("tick", "\"e" + i + "\""));
      SseParser.Event e = a.awaitEvent();
      assertThat(e.data()).isEqualTo("\"e" + i + "\"");
      ids.add(e.id());
    }
    assertThat(new HashSet<>(ids)).hasSize(4); // ids unique across nodes
    a.disconnect();
    await().until(() -> n1.streams.liveCount("feed") == 0);
    // Two nodes' events are ordered in the store as Redis receives them: wait for e5's fate (it
    // is stored) before the other node publishes e6, and for e6's before the client resumes (a
    // resume replays what is stored; an event whose store write is still in flight and whose live
    // copy reached the node before the client did is not part of either).
    n2.streams.publishAsync("feed", SseEvent.named("tick", "\"e5\"")).toCompletableFuture().join();
    n1.streams.publishAsync("feed", SseEvent.named("tick", "\"e6\"")).toCompletableFuture().join();

    TestSseClient b =
        TestSseClient.builder(n2.server.uri().resolve("/feed"))
            .reconnect(false)
            .lastEventId(ids.get(2))
            .connect();
    open.add(b);
    b.awaitOpen();
    assertThat(b.awaitEvents(3))
        .extracting(SseParser.Event::data)
        .containsExactly("\"e4\"", "\"e5\"", "\"e6\"");
    n1.streams.publish("feed", SseEvent.named("tick", "\"e7\"")); // live, from the other node
    assertThat(b.awaitEvent().data()).isEqualTo("\"e7\"");
  }

  @Test
  void redisRestartMidRunRefusesMessagesThenTellsMembersToResync() throws Exception {
    Node n1 = new Node("t3");
    Node n2 = new Node("t3");
    TestWsClient a = n1.chat();
    TestWsClient b = n2.chat();
    TestSseClient feed =
        TestSseClient.builder(n1.server.uri().resolve("/feed")).reconnect(false).connect();
    open.add(feed);
    feed.awaitOpen();
    await().until(() -> n1.streams.liveCount("feed") == 1);

    redis.stop();
    await().until(() -> !n1.broker.available() && !n2.broker.available());
    // Refused, not half-delivered: the sender is told and nobody, here or there, gets it.
    a.sendJson(Map.of("from", "a", "n", "during"));
    Map<String, Object> refused = a.awaitJson();
    assertThat(refused).containsEntry("type", "error");
    assertThat((String) refused.get("error")).contains("unavailable");
    assertThatThrownBy(() -> n1.streams.publish("feed", SseEvent.named("tick", "\"while-down\"")))
        .isInstanceOf(BrokerUnavailableException.class);
    assertThat(n1.hub.broadcastAsync("x").toCompletableFuture())
        .failsWithin(Duration.ofSeconds(5))
        .withThrowableOfType(java.util.concurrent.ExecutionException.class)
        .withCauseInstanceOf(BrokerUnavailableException.class);

    redis.restart();
    await().atMost(Duration.ofSeconds(20)).until(() -> n1.broker.reconnects() >= 1);
    await().atMost(Duration.ofSeconds(20)).until(() -> n2.broker.reconnects() >= 1);
    // Both nodes lost their subscription: every member is told it may have missed messages, and
    // the SSE stream (shared store) is ended so that its client resumes from the store.
    assertThat(a.awaitJson()).containsEntry("type", "resync").containsEntry("topic", "t3.chat");
    assertThat(b.awaitJson()).containsEntry("type", "resync");
    feed.awaitClosed(Duration.ofSeconds(20));
    // Subscriptions are back: probe until one crosses, then steady state is exact again.
    int[] probe = {0};
    await()
        .atMost(Duration.ofSeconds(20))
        .ignoreExceptions() // awaitMessage fails while nothing crosses
        .until(
            () -> {
              b.sendJson(Map.of("from", "probe", "n", probe[0]++));
              Object m = b.awaitMessage(Duration.ofMillis(500)); // its own, local
              TestWsClient.Message crossed = a.awaitMessage(Duration.ofMillis(500));
              return m != null && crossed != null;
            });
    // drain any late probe copies, then exact delivery
    b.sendJson(Map.of("from", "b", "n", "after"));
    String got;
    do {
      got = key(a.awaitJson());
    } while (got.startsWith("probe/"));
    assertThat(got).isEqualTo("b/after");
    assertThat(key(b.awaitJson())).isEqualTo("b/after");
  }
}
