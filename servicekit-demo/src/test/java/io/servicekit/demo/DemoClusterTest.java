package io.servicekit.demo;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.servicekit.jetty.ServiceKitServer;
import io.servicekit.sse.SseParser;
import io.servicekit.testkit.RedisServer;
import io.servicekit.testkit.TestSseClient;
import io.servicekit.testkit.TestWsClient;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.json.JsonMapper;

/** Two demo servers on one Redis (SERVICEKIT_BROKER) behave as one for chat, time and /events. */
class DemoClusterTest {
  private static final JsonMapper JSON = JsonMapper.builder().build();
  private static final Pattern EPOCH_ID = Pattern.compile("([0-9a-z]{8})-[1-9][0-9]*");
  private static RedisServer redis;
  private DemoCluster c1;
  private DemoCluster c2;
  private ServiceKitServer n1;
  private ServiceKitServer n2;

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

  @BeforeEach
  void startNodes() throws Exception {
    c1 = DemoCluster.connect(redis.uri());
    c2 = DemoCluster.connect(redis.uri());
    Duration heartbeat = Duration.ofMinutes(10);
    n1 = DemoServer.create(0, heartbeat, c1).start();
    n2 = DemoServer.create(0, heartbeat, c2).start();
  }

  @AfterEach
  void stopNodes() throws Exception {
    n1.stop();
    n2.stop();
    c1.close();
    c2.close();
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> data(Map<String, Object> message) {
    return (Map<String, Object>) message.get("data");
  }

  private static TestWsClient join(ServiceKitServer node, String user) {
    TestWsClient ws = TestWsClient.connect(node.wsUri("/ws/chat?username=" + user + "&room=r"));
    assertThat(ws.awaitJson()).containsEntry("type", "welcome");
    return ws;
  }

  @Test
  void chatRoomsSpanBothProcesses() {
    try (TestWsClient alice = join(n1, "alice");
        TestWsClient bob = join(n2, "bob")) {
      Map<String, Object> joined = alice.awaitJson();
      assertThat(joined).containsEntry("type", "user_joined");
      assertThat(data(joined)).containsEntry("username", "bob");
      alice.sendJson(Map.of("type", "chat_message", "message", "hi from node 1"));
      bob.sendJson(Map.of("type", "chat_message", "message", "hi from node 2"));
      for (TestWsClient client : List.of(alice, bob)) {
        Map<String, Object> first = client.awaitJsonOfType("chat_message");
        Map<String, Object> second = client.awaitJsonOfType("chat_message");
        assertThat(List.of(data(first).get("message"), data(second).get("message")))
            .containsExactlyInAnyOrder("hi from node 1", "hi from node 2");
      }
      alice.sendJson(Map.of("type", "chat_message", "message", "once"));
      assertThat(data(bob.awaitJsonOfType("chat_message"))).containsEntry("message", "once");
      bob.sendJson(Map.of("type", "chat_message", "message", "marker"));
      // the next chat message bob sees is his marker: "once" arrived exactly once
      assertThat(data(bob.awaitJsonOfType("chat_message"))).containsEntry("message", "marker");
    }
  }

  @Test
  void publishedTimeMessagesReachSubscribersOfBothProcesses() throws Exception {
    try (TestWsClient one = TestWsClient.connect(n1.wsUri("/ws/time"));
        TestWsClient two = TestWsClient.connect(n2.wsUri("/ws/time"))) {
      one.awaitJsonOfType("time");
      two.awaitJsonOfType("time");
      URI publish = n1.uri().resolve("/publish?msg=everyone");
      assertThat(Http.get(publish).statusCode()).isEqualTo(200);
      assertThat(one.awaitJsonOfType("published")).containsEntry("msg", "everyone");
      assertThat(two.awaitJsonOfType("published")).containsEntry("msg", "everyone");
    }
  }

  private static long seq(SseParser.Event e) {
    return JSON.readTree(e.data()).get("seq").asLong();
  }

  /** The epoch of an id {@code "<epoch>-<n>"}, failing the test on any other form. */
  private static String epoch(String id) {
    Matcher m = EPOCH_ID.matcher(id);
    assertThat(m.matches()).as("id %s is <8 base-36 epoch>-<n>", id).isTrue();
    return m.group(1);
  }

  /**
   * One feed across both processes: a tick has the same epoch id on both (each process issues ids
   * with its own epoch, so they never collide), its seq comes from Redis and counts both processes'
   * ticks, and a client that moves to the other process resumes with no gap in seq.
   */
  @Test
  void theEventsFeedResumesOnTheOtherProcessWithoutGaps() {
    SseParser.Event last;
    List<String> ids = new ArrayList<>();
    try (TestSseClient a =
            TestSseClient.builder(n1.uri().resolve("/events")).reconnect(false).connect();
        TestSseClient other =
            TestSseClient.builder(n2.uri().resolve("/events")).reconnect(false).connect()) {
      List<SseParser.Event> ticks = a.awaitEvents(3, Duration.ofSeconds(30));
      assertThat(ticks).extracting(SseParser.Event::type).containsOnly("tick");
      assertThat(ticks) // one tick per second in all, numbered by the shared counter
          .extracting(DemoClusterTest::seq)
          .containsExactly(seq(ticks.get(0)), seq(ticks.get(0)) + 1, seq(ticks.get(0)) + 2);
      // the client of the other process saw the same ticks under the same ids
      Map<Long, String> idBySeq = new HashMap<>();
      ticks.forEach(t -> idBySeq.put(seq(t), t.id()));
      SseParser.Event seen;
      do {
        seen = other.awaitEvent(Duration.ofSeconds(30));
        if (idBySeq.containsKey(seq(seen))) {
          assertThat(seen.id())
              .as("tick %d on the other process", seq(seen))
              .isEqualTo(idBySeq.get(seq(seen)));
        }
      } while (seq(seen) < seq(ticks.get(2)));
      assertThat(seen.id()).isEqualTo(ticks.get(2).id());
      ticks.forEach(t -> ids.add(t.id()));
      last = ticks.get(2);
    }
    try (TestSseClient b =
        TestSseClient.builder(n2.uri().resolve("/events"))
            .reconnect(false)
            .lastEventId(last.id())
            .connect()) {
      List<SseParser.Event> next = b.awaitEvents(2, Duration.ofSeconds(30));
      assertThat(next).extracting(SseParser.Event::type).containsOnly("tick");
      assertThat(next)
          .extracting(DemoClusterTest::seq)
          .containsExactly(seq(last) + 1, seq(last) + 2);
      next.forEach(t -> ids.add(t.id()));
    }
    assertThat(ids).doesNotHaveDuplicates();
    // every id is an epoch id, of one of the two processes; ids are opaque across processes (no
    // common order), and within one process's epoch they rise with the ticks
    assertThat(ids.stream().map(DemoClusterTest::epoch).distinct().count()).isBetween(1L, 2L);
    Map<String, Long> lastN = new HashMap<>();
    for (String id : ids) {
      long n = Long.parseLong(id.substring(id.indexOf('-') + 1));
      Long before = lastN.put(epoch(id), n);
      assertThat(before == null || before < n).as("%s after %s-%s", id, epoch(id), before).isTrue();
    }
  }

  /**
   * Issue 14: a Redis flush starts the tick counter again, but not the ids (each process's epoch id
   * generator goes on), so a client holding an id from before the flush is told to resync, even
   * once the new ticks have numbers the old id had (with ids from the counter, its resume would
   * have continued from the new tick of that number).
   */
  @Test
  void afterARedisFlushAnIdFromBeforeItGetsAResyncNotAWrongContinuation() throws Exception {
    redis.flushAll(); // the counter starts at 1 for this test
    SseParser.Event held;
    try (TestSseClient a =
        TestSseClient.builder(n1.uri().resolve("/events")).reconnect(false).connect()) {
      held = a.awaitEvents(2, Duration.ofSeconds(30)).get(1);
      redis.flushAll();
      // wait until the counter, started again, has gone past the held tick's number
      boolean restarted = false;
      long before = seq(held);
      while (true) {
        SseParser.Event e = a.awaitEvent(Duration.ofSeconds(30));
        restarted |= seq(e) < before;
        before = seq(e);
        if (restarted && seq(e) > seq(held)) {
          break;
        }
      }
    }
    try (TestSseClient b =
        TestSseClient.builder(n2.uri().resolve("/events"))
            .reconnect(false)
            .lastEventId(held.id())
            .connect()) {
      SseParser.Event first = b.awaitEvent(Duration.ofSeconds(30));
      assertThat(first.type()).isEqualTo("resync");
      assertThat(first.data())
          .isEqualTo(
              "{\"lastEventId\":\""
                  + held.id()
                  + "\",\"reason\":\"unknown or expired Last-Event-ID\"}");
      SseParser.Event live = b.awaitEvent(Duration.ofSeconds(30));
      assertThat(live.type()).isEqualTo("tick");
      assertThat(live.id()).isNotEqualTo(held.id());
      epoch(live.id());
    }
  }

  /**
   * Channels on the cluster: one Redis history and the broker. A subscriber on process 1 gets what
   * process 2's client publishes, reconnects to process 2 after missing two publications and
   * recovers exactly those; presence lists users of both processes.
   */
  @Test
  @SuppressWarnings("unchecked")
  void channelsRecoverOnTheOtherProcessAndPresenceSpansBoth() {
    String room = "room:cluster-" + System.nanoTime();
    try (TestWsClient bob = TestWsClient.connect(n2.wsUri("/ws/channels?user=bob"))) {
      bob.sendJson(Map.of("type", "subscribe", "id", 1, "channel", room, "presence", true));
      assertThat(bob.awaitJsonOfType("reply")).containsEntry("id", 1).doesNotContainKey("error");
      Object epoch = null;
      try (TestWsClient alice = TestWsClient.connect(n1.wsUri("/ws/channels?user=alice"))) {
        alice.sendJson(Map.of("type", "subscribe", "id", 1, "channel", room, "presence", true));
        assertThat(alice.awaitJsonOfType("reply")).containsEntry("id", 1);
        // process 2's subscriber hears of process 1's join through the broker
        assertThat(bob.awaitJsonOfType("join")).containsEntry("user", "alice");
        for (int i = 1; i <= 3; i++) {
          bob.sendJson(Map.of("type", "publish", "id", 1 + i, "channel", room, "data", i));
          Map<String, Object> ack = data(bob.awaitJsonOfType("reply"));
          assertThat(ack).containsEntry("offset", i);
          epoch = ack.get("epoch");
        }
        List<Object> seen = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
          Map<String, Object> pub = alice.awaitJsonOfType("pub");
          assertThat(pub).containsEntry("epoch", epoch);
          seen.add(List.of(pub.get("offset"), pub.get("data")));
        }
        assertThat(seen).isEqualTo(List.of(List.of(1, 1), List.of(2, 2), List.of(3, 3)));
      }
      assertThat(bob.awaitJsonOfType("leave")).containsEntry("user", "alice");
      for (int i = 4; i <= 5; i++) {
        bob.sendJson(Map.of("type", "publish", "id", 1 + i, "channel", room, "data", i));
        assertThat(data(bob.awaitJsonOfType("reply"))).containsEntry("offset", i);
      }
      Map<String, Object> position = Map.of("epoch", epoch, "offset", 3);
      try (TestWsClient again = TestWsClient.connect(n2.wsUri("/ws/channels?user=alice"))) {
        again.sendJson(Map.of("type", "subscribe", "id", 1, "channel", room, "since", position));
        List<Object> recovered = new ArrayList<>();
        Map<String, Object> reply = null;
        while (reply == null || recovered.size() < 2) {
          Map<String, Object> m = again.awaitJson();
          if ("pub".equals(m.get("type"))) {
            recovered.add(List.of(m.get("offset"), m.get("data")));
          } else if ("reply".equals(m.get("type"))) {
            reply = m;
          }
        }
        assertThat(reply).doesNotContainKey("error");
        assertThat(recovered).isEqualTo(List.of(List.of(4, 4), List.of(5, 5)));
        again.sendJson(Map.of("type", "presence", "id", 2, "channel", room));
        Map<String, Object> members =
            (Map<String, Object>) again.awaitJsonOfType("reply").get("data");
        assertThat((List<Map<String, Object>>) members.get("members"))
            .extracting(m -> m.get("user"))
            .containsExactly("alice", "bob");
      }
    }
  }
}
