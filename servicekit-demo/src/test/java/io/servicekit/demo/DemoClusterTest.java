package io.servicekit.demo;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.servicekit.jetty.ServiceKitServer;
import io.servicekit.testkit.RedisServer;
import io.servicekit.testkit.SseClient;
import io.servicekit.testkit.SseEventParser;
import io.servicekit.testkit.TestWsClient;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Two demo servers on one Redis (SERVICEKIT_BROKER) behave as one for chat, time and /events. */
class DemoClusterTest {
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

  @Test
  void theEventsFeedResumesOnTheOtherProcessWithoutGaps() {
    SseEventParser.Event last;
    try (SseClient a =
        SseClient.connect(n1.uri().resolve("/events"), SseClient.options().reconnect(false))) {
      List<SseEventParser.Event> ticks = a.awaitEvents(2);
      assertThat(ticks).extracting(SseEventParser.Event::type).containsOnly("tick");
      assertThat(Long.parseLong(ticks.get(1).id()))
          .isEqualTo(Long.parseLong(ticks.get(0).id()) + 1); // one tick per second in all
      last = ticks.get(1);
    }
    try (SseClient b =
        SseClient.connect(
            n2.uri().resolve("/events"),
            SseClient.options().reconnect(false).lastEventId(last.id()))) {
      List<SseEventParser.Event> next = b.awaitEvents(2);
      assertThat(next)
          .extracting(e -> Long.parseLong(e.id()))
          .containsExactly(Long.parseLong(last.id()) + 1, Long.parseLong(last.id()) + 2);
    }
  }
}
