package io.servicekit.jetty;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.servicekit.WsSession;
import io.servicekit.broker.Broker;
import io.servicekit.channel.Channels;
import io.servicekit.channel.MemoryChannelHistory;
import io.servicekit.channel.Presence;
import io.servicekit.channel.PresenceMember;
import io.servicekit.channel.Publication;
import io.servicekit.channel.ReplyException;
import io.servicekit.sse.SseParser;
import io.servicekit.testkit.TestSseClient;
import io.servicekit.testkit.TestWsClient;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The channel protocol of docs/channels.md over real sockets. */
class ChannelsServerTest {
  private static ServiceKitServer serve(Channels channels) throws Exception {
    return ServiceKitServer.builder()
        .port(0)
        .ws("/ch", channels.wsHandler())
        .sse("/sse", channels.sseHandler(r -> r.queryParam("channel").orElse("")))
        .build()
        .start();
  }

  /** The next message that is not the heartbeat. */
  private static Map<String, Object> next(TestWsClient c) {
    while (true) {
      Map<String, Object> m = c.awaitJson();
      if (!"ping".equals(m.get("type"))) {
        return m;
      }
    }
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> data(Map<String, Object> m) {
    return (Map<String, Object>) m.get("data");
  }

  private static Map<String, Object> reply(TestWsClient c, long id) {
    Map<String, Object> m = next(c);
    assertThat(m).containsEntry("type", "reply").containsEntry("id", (int) id);
    return m;
  }

  private static Publication publish(Channels ch, String channel, Object message) {
    return ch.publish(channel, message).toCompletableFuture().join();
  }

  @Test
  void subscribeThenLivePubsInOrderAndPublishAnswersThePosition() throws Exception {
    Channels channels = Channels.builder().build();
    try (ServiceKitServer server = serve(channels);
        TestWsClient a = TestWsClient.connect(server.wsUri("/ch"));
        TestWsClient b = TestWsClient.connect(server.wsUri("/ch"))) {
      a.sendText("{\"type\":\"subscribe\",\"id\":1,\"channel\":\"room\"}");
      Map<String, Object> sub = data(reply(a, 1));
      assertThat(sub)
          .containsEntry("channel", "room")
          .containsEntry("offset", 0)
          .containsEntry("recovered", false);
      String epoch = (String) sub.get("epoch");
      b.sendText("{\"type\":\"publish\",\"id\":7,\"channel\":\"room\",\"data\":{\"n\":1}}");
      assertThat(data(reply(b, 7))).containsEntry("epoch", epoch).containsEntry("offset", 1);
      for (int i = 2; i <= 20; i++) {
        publish(channels, "room", Map.of("n", i));
      }
      for (int i = 1; i <= 20; i++) {
        Map<String, Object> pub = next(a);
        assertThat(pub)
            .containsEntry("type", "pub")
            .containsEntry("channel", "room")
            .containsEntry("epoch", epoch)
            .containsEntry("offset", i);
        assertThat(data(pub)).containsEntry("n", i);
      }
      a.sendText("{\"type\":\"unsubscribe\",\"id\":2,\"channel\":\"room\"}");
      assertThat(data(reply(a, 2))).containsEntry("channel", "room");
      publish(channels, "room", "after");
      a.sendText("{\"type\":\"unsubscribe\",\"id\":3,\"channel\":\"room\"}");
      assertThat(data(reply(a, 3)))
          .as("nothing delivered after unsubscribe")
          .containsEntry("channel", "room");
      assertThat(channels.stats().subscribers()).isZero();
    }
  }

  @Test
  void aReconnectingClientRecoversExactlyTheMissedPublicationsThenLiveOnes() throws Exception {
    Channels channels = Channels.builder().build();
    try (ServiceKitServer server = serve(channels)) {
      String epoch;
      try (TestWsClient a = TestWsClient.connect(server.wsUri("/ch"))) {
        a.sendText("{\"type\":\"subscribe\",\"id\":1,\"channel\":\"c\"}");
        epoch = (String) data(reply(a, 1)).get("epoch");
        for (int i = 1; i <= 5; i++) {
          publish(channels, "c", i);
        }
        for (int i = 1; i <= 5; i++) {
          assertThat(next(a)).containsEntry("offset", i);
        }
      }
      int missed = 100;
      for (int i = 6; i <= 5 + missed; i++) {
        publish(channels, "c", i);
      }
      try (TestWsClient a = TestWsClient.connect(server.wsUri("/ch"))) {
        a.sendText(
            "{\"type\":\"subscribe\",\"id\":1,\"channel\":\"c\",\"since\":{\"epoch\":\""
                + epoch
                + "\",\"offset\":5}}");
        for (int i = 6; i <= 5 + missed; i++) {
          Map<String, Object> pub = next(a);
          assertThat(pub)
              .containsEntry("type", "pub")
              .containsEntry("offset", i)
              .containsEntry("data", i);
        }
        assertThat(data(reply(a, 1)))
            .containsEntry("recovered", true)
            .containsEntry("offset", 5 + missed)
            .containsEntry("epoch", epoch);
        publish(channels, "c", "live");
        assertThat(next(a)).containsEntry("offset", 6 + missed).containsEntry("data", "live");
      }
    }
  }

  @Test
  void unrecoverablePositionsGetResyncWithTheReason() throws Exception {
    Channels channels =
        Channels.builder()
            .history(MemoryChannelHistory.builder().maxPublications(10).build())
            .build();
    try (ServiceKitServer server = serve(channels);
        TestWsClient a = TestWsClient.connect(server.wsUri("/ch"))) {
      String epoch = publish(channels, "c", 1).position().epoch();
      for (int i = 2; i <= 30; i++) {
        publish(channels, "c", i);
      }
      a.sendText(
          "{\"type\":\"subscribe\",\"id\":1,\"channel\":\"c\",\"since\":{\"epoch\":\""
              + epoch
              + "\",\"offset\":3}}");
      Map<String, Object> r = data(reply(a, 1));
      assertThat(r)
          .containsEntry("resync", "evicted")
          .containsEntry("recovered", false)
          .containsEntry("offset", 30)
          .containsEntry("epoch", epoch);
      publish(channels, "c", 31);
      assertThat(next(a)).containsEntry("offset", 31);

      a.sendText(
          "{\"type\":\"subscribe\",\"id\":2,\"channel\":\"d\",\"since\":{\"epoch\":\"old0\",\"offset\":3}}");
      assertThat(data(reply(a, 2)))
          .containsEntry("resync", "epoch_changed")
          .containsEntry("offset", 0);
      a.sendText(
          "{\"type\":\"subscribe\",\"id\":3,\"channel\":\"e\",\"since\":{\"epoch\":\""
              + publish(channels, "e", 1).position().epoch()
              + "\",\"offset\":9}}");
      assertThat(data(reply(a, 3))).containsEntry("resync", "ahead").containsEntry("offset", 1);
      assertThat(channels.stats().resyncs()).isEqualTo(3);
    }
  }

  @Test
  void badEnvelopesAreAnsweredAndTheConnectionStaysOpen() throws Exception {
    Channels channels =
        Channels.builder()
            .maxSubscriptionsPerConnection(1)
            .policy((request, user, action, channel) -> !channel.startsWith("secret"))
            .build();
    try (ServiceKitServer server = serve(channels);
        TestWsClient a = TestWsClient.connect(server.wsUri("/ch"))) {
      a.sendText("not json");
      assertThat(next(a))
          .containsEntry("type", "error")
          .extractingByKey("error")
          .asString()
          .contains("not JSON");
      a.sendText("{\"id\":1}");
      assertThat(next(a))
          .containsEntry("type", "error")
          .extractingByKey("error")
          .asString()
          .contains("\"type\"");
      a.sendText("{\"type\":\"subscribe\",\"id\":0,\"channel\":\"c\"}");
      assertThat(next(a))
          .containsEntry("type", "error")
          .extractingByKey("error")
          .asString()
          .contains("\"id\" must be a positive integer")
          .contains("was 0");
      a.sendText("{\"type\":\"subscribe\",\"id\":1.5,\"channel\":\"c\"}");
      assertThat(next(a)).containsEntry("type", "error");
      String[][] cases = {
        {"{\"type\":\"subscribe\",\"id\":2}", "\"channel\" must be a string, was null"},
        {"{\"type\":\"subscribe\",\"id\":2,\"channel\":7}", "\"channel\" must be a string, was 7"},
        {"{\"type\":\"subscribe\",\"id\":2,\"channel\":\"a b\"}", "whitespace"},
        {"{\"type\":\"subscribe\",\"id\":2,\"channel\":\"\"}", "channel must be 1-200"},
        {
          "{\"type\":\"subscribe\",\"id\":2,\"channel\":\"c\",\"since\":5}",
          "\"since\" must be an object"
        },
        {
          "{\"type\":\"subscribe\",\"id\":2,\"channel\":\"c\",\"since\":{\"offset\":1}}",
          "\"since.epoch\" must be a string, was null"
        },
        {
          "{\"type\":\"subscribe\",\"id\":2,\"channel\":\"c\",\"since\":{\"epoch\":\"E!\",\"offset\":1}}",
          "[0-9a-z], was \"E!\""
        },
        {
          "{\"type\":\"subscribe\",\"id\":2,\"channel\":\"c\",\"since\":{\"epoch\":\"e\",\"offset\":-1}}",
          "\"since.offset\" must be an integer >= 0, was -1"
        },
        {
          "{\"type\":\"subscribe\",\"id\":2,\"channel\":\"c\",\"presence\":\"yes\"}",
          "\"presence\" must be a boolean"
        },
        {"{\"type\":\"publish\",\"id\":2,\"channel\":\"c\"}", "\"data\" is missing"},
        {"{\"type\":\"nope\",\"id\":2}", "unknown message type \"nope\""},
      };
      for (String[] c : cases) {
        a.sendText(c[0]);
        Map<String, Object> r = reply(a, 2);
        assertThat(r).as(c[0]).containsEntry("code", "bad_request");
        assertThat((String) r.get("error")).as(c[0]).contains(c[1]);
      }
      a.sendText("{\"type\":\"subscribe\",\"id\":3,\"channel\":\"secret1\"}");
      assertThat(reply(a, 3)).containsEntry("code", "forbidden");
      a.sendText("{\"type\":\"publish\",\"id\":4,\"channel\":\"secret1\",\"data\":1}");
      assertThat(reply(a, 4)).containsEntry("code", "forbidden");
      a.sendText("{\"type\":\"subscribe\",\"id\":5,\"channel\":\"one\"}");
      assertThat(data(reply(a, 5))).containsEntry("offset", 0);
      a.sendText("{\"type\":\"subscribe\",\"id\":6,\"channel\":\"one\"}");
      assertThat(data(reply(a, 6)))
          .as("a second subscribe changes nothing")
          .containsEntry("channel", "one");
      a.sendText("{\"type\":\"subscribe\",\"id\":7,\"channel\":\"two\"}");
      Map<String, Object> limit = reply(a, 7);
      assertThat(limit).containsEntry("code", "limit");
      assertThat((String) limit.get("error")).contains("maxSubscriptionsPerConnection 1");
      a.sendText("{\"type\":\"ping\",\"pingId\":4}");
      assertThat(next(a)).containsEntry("type", "pong").containsEntry("pingId", 4);
      assertThat(channels.stats().subscribers()).isEqualTo(1);
    }
  }

  @Test
  void clientRequestsGetTheHandlersReplyOrItsError() throws Exception {
    Channels channels =
        Channels.builder()
            .onRequest(
                (session, data) -> {
                  if ("boom".equals(data)) {
                    throw new IllegalStateException("boom");
                  }
                  if ("no".equals(data)) {
                    throw new ReplyException("forbidden", "not you");
                  }
                  return CompletableFuture.completedFuture(Map.of("echo", data));
                })
            .build();
    try (ServiceKitServer server = serve(channels);
        TestWsClient a = TestWsClient.connect(server.wsUri("/ch"))) {
      a.sendText("{\"type\":\"request\",\"id\":1,\"data\":\"hi\"}");
      assertThat(data(reply(a, 1))).containsEntry("echo", "hi");
      a.sendText("{\"type\":\"request\",\"id\":2,\"data\":\"no\"}");
      assertThat(reply(a, 2)).containsEntry("code", "forbidden").containsEntry("error", "not you");
      a.sendText("{\"type\":\"request\",\"id\":3,\"data\":\"boom\"}");
      assertThat(reply(a, 3)).containsEntry("code", "internal");
    }
  }

  @Test
  void serverRequestsAreAnsweredTimeOutAndFailAtOnceOnClose() throws Exception {
    CompletableFuture<WsSession<Object>> opened = new CompletableFuture<>();
    Channels channels =
        Channels.builder()
            .requestTimeout(Duration.ofMillis(300))
            .onRequest(
                (session, data) -> {
                  opened.complete(session);
                  return CompletableFuture.completedFuture("ok");
                })
            .build();
    try (ServiceKitServer server = serve(channels);
        TestWsClient a = TestWsClient.connect(server.wsUri("/ch"))) {
      a.sendText("{\"type\":\"request\",\"id\":1,\"data\":null}");
      reply(a, 1);
      WsSession<Object> session = opened.get(10, TimeUnit.SECONDS);

      CompletionStage<Object> answered = channels.request(session, Map.of("q", 1));
      Map<String, Object> req = next(a);
      assertThat(req).containsEntry("type", "request");
      a.sendText("{\"type\":\"reply\",\"id\":" + req.get("id") + ",\"data\":{\"a\":2}}");
      assertThat(answered.toCompletableFuture().get(10, TimeUnit.SECONDS))
          .isEqualTo(Map.of("a", 2));

      CompletionStage<Object> refused = channels.request(session, "x");
      Map<String, Object> req2 = next(a);
      a.sendText(
          "{\"type\":\"reply\",\"id\":"
              + req2.get("id")
              + ",\"error\":\"no\",\"code\":\"forbidden\"}");
      assertThatThrownBy(() -> refused.toCompletableFuture().join())
          .isInstanceOf(CompletionException.class)
          .cause()
          .isInstanceOf(ReplyException.class)
          .hasMessage("no");

      CompletionStage<Object> timesOut = channels.request(session, "late");
      Map<String, Object> req3 = next(a);
      assertThatThrownBy(() -> timesOut.toCompletableFuture().join())
          .cause()
          .isInstanceOf(ReplyException.class)
          .satisfies(e -> assertThat(((ReplyException) e).code()).isEqualTo("timeout"));
      a.sendText("{\"type\":\"reply\",\"id\":" + req3.get("id") + ",\"data\":1}");
      a.sendText("{\"type\":\"ping\"}");
      next(a); // the pong: the late reply was handled before it
      assertThat(channels.stats().lateReplies()).isEqualTo(1);

      Channels slow = Channels.builder().requestTimeout(Duration.ofMinutes(5)).build();
      assertThat(slow.request(session, 1).toCompletableFuture())
          .as("a session of another Channels")
          .isCompletedExceptionally();
      CompletionStage<Object> pending = channels.request(session, "never");
      next(a);
      a.close();
      assertThatThrownBy(() -> pending.toCompletableFuture().get(10, TimeUnit.SECONDS))
          .cause()
          .isInstanceOf(ReplyException.class)
          .satisfies(e -> assertThat(((ReplyException) e).code()).isEqualTo("unavailable"));
    }
  }

  @Test
  void anSseClientResumesFromAWebSocketPositionAndGetsResyncForAnEvictedOne() throws Exception {
    Channels channels =
        Channels.builder()
            .history(MemoryChannelHistory.builder().maxPublications(5).build())
            .build();
    try (ServiceKitServer server = serve(channels)) {
      Publication p1 = publish(channels, "c", "one");
      publish(channels, "c", "two");
      publish(channels, "c", "three");
      String epoch = p1.position().epoch();
      try (TestSseClient sse =
          TestSseClient.builder(server.uri().resolve("/sse?channel=c"))
              .lastEventId(epoch + "-1")
              .reconnect(false)
              .connect()) {
        List<SseParser.Event> got = sse.awaitEvents(2);
        assertThat(got).extracting(SseParser.Event::id).containsExactly(epoch + "-2", epoch + "-3");
        assertThat(got).extracting(SseParser.Event::data).containsExactly("\"two\"", "\"three\"");
        publish(channels, "c", "four");
        assertThat(sse.awaitEvent().id()).isEqualTo(epoch + "-4");
      }
      for (int i = 5; i <= 12; i++) {
        publish(channels, "c", i);
      }
      try (TestSseClient sse =
          TestSseClient.builder(server.uri().resolve("/sse?channel=c"))
              .lastEventId(epoch + "-2")
              .reconnect(false)
              .connect()) {
        SseParser.Event resync = sse.awaitEvent();
        assertThat(resync.type()).isEqualTo("resync");
        assertThat(resync.id()).isEqualTo(epoch + "-12");
        assertThat(resync.data())
            .isEqualTo(
                "{\"channel\":\"c\",\"epoch\":\""
                    + epoch
                    + "\",\"offset\":12,\"reason\":\"evicted\"}");
        publish(channels, "c", 13);
        assertThat(sse.awaitEvent().id()).isEqualTo(epoch + "-13");
      }
    }
  }

  @Test
  void twoNodesPublishingAtOnceGiveEverySubscriberConsecutiveOffsets() throws Exception {
    MemoryChannelHistory shared = new MemoryChannelHistory();
    Broker broker = Broker.inMemory();
    Channels n1 = Channels.builder().history(shared).broker(broker, "chan").build();
    Channels n2 = Channels.builder().history(shared).broker(broker, "chan").build();
    int each = 200;
    try (ServiceKitServer s1 = serve(n1);
        ServiceKitServer s2 = serve(n2);
        TestWsClient a = TestWsClient.connect(s1.wsUri("/ch"));
        TestWsClient b = TestWsClient.connect(s2.wsUri("/ch"))) {
      a.sendText("{\"type\":\"subscribe\",\"id\":1,\"channel\":\"c\"}");
      b.sendText("{\"type\":\"subscribe\",\"id\":1,\"channel\":\"c\"}");
      reply(a, 1);
      reply(b, 1);
      CountDownLatch go = new CountDownLatch(1);
      List<Thread> publishers = new ArrayList<>();
      for (Channels node : List.of(n1, n2, n1, n2)) {
        publishers.add(
            Thread.ofPlatform()
                .start(
                    () -> {
                      try {
                        go.await();
                      } catch (InterruptedException e) {
                        return;
                      }
                      for (int i = 0; i < each; i++) {
                        node.publish("c", i);
                      }
                    }));
      }
      go.countDown();
      for (Thread t : publishers) {
        t.join();
      }
      for (TestWsClient c : List.of(a, b)) {
        for (int i = 1; i <= 4 * each; i++) {
          assertThat(next(c)).containsEntry("type", "pub").containsEntry("offset", i);
        }
      }
    } finally {
      n1.close();
      n2.close();
      broker.close();
    }
  }

  private static TestWsClient as(ServiceKitServer server, String user) {
    return TestWsClient.connect(server.wsUri("/ch?user=" + user));
  }

  private static Channels byUser() {
    return Channels.builder().identity(r -> r.queryParam("user").orElse("anon")).build();
  }

  @Test
  void presenceCountsConnectionsPerUserAndSendsJoinAndLeaveOnlyToPresenceSubscribers()
      throws Exception {
    Channels channels = byUser();
    try (ServiceKitServer server = serve(channels);
        TestWsClient a1 = as(server, "alice");
        TestWsClient a2 = as(server, "alice");
        TestWsClient c = as(server, "carol")) {
      a1.sendText("{\"type\":\"subscribe\",\"id\":1,\"channel\":\"room\",\"presence\":true}");
      reply(a1, 1);
      TestWsClient b = as(server, "bob");
      b.sendText("{\"type\":\"subscribe\",\"id\":1,\"channel\":\"room\"}");
      reply(b, 1);
      assertThat(next(a1))
          .containsEntry("type", "join")
          .containsEntry("channel", "room")
          .containsEntry("user", "bob")
          .containsEntry("connections", 1);
      a2.sendText("{\"type\":\"subscribe\",\"id\":1,\"channel\":\"room\"}");
      reply(a2, 1); // alice's second connection: no join (she is already present)
      c.sendText("{\"type\":\"subscribe\",\"id\":1,\"channel\":\"room\"}");
      reply(c, 1);
      assertThat(next(a1)).containsEntry("type", "join").containsEntry("user", "carol");
      // bob did not ask for presence: the next thing he gets is the reply, not carol's join
      b.sendText("{\"type\":\"presence\",\"id\":2,\"channel\":\"room\"}");
      assertThat(data(reply(b, 2)))
          .containsEntry("channel", "room")
          .containsEntry(
              "members",
              List.of(
                  Map.of("user", "alice", "connections", 2),
                  Map.of("user", "bob", "connections", 1),
                  Map.of("user", "carol", "connections", 1)));
      b.close();
      assertThat(next(a1))
          .containsEntry("type", "leave")
          .containsEntry("channel", "room")
          .containsEntry("user", "bob");
      a2.sendText("{\"type\":\"unsubscribe\",\"id\":2,\"channel\":\"room\"}");
      reply(a2, 2);
      c.sendText("{\"type\":\"unsubscribe\",\"id\":2,\"channel\":\"room\"}");
      reply(c, 2);
      assertThat(next(a1)).containsEntry("type", "leave").containsEntry("user", "carol");
      assertThat(channels.members("room")).containsExactly(new PresenceMember("alice", 1));
    } finally {
      channels.close();
    }
  }

  @Test
  void aFullChannelIsRefusedWithLimitAndPresenceOfARefusedChannelIsForbidden() throws Exception {
    Presence presence = Presence.builder().maxMembersPerChannel(1).build();
    Channels channels =
        Channels.builder()
            .identity(r -> r.queryParam("user").orElse("anon"))
            .presence(presence)
            .policy((request, user, action, channel) -> !channel.startsWith("secret"))
            .build();
    try (ServiceKitServer server = serve(channels);
        TestWsClient a = as(server, "alice");
        TestWsClient b = as(server, "bob")) {
      a.sendText("{\"type\":\"subscribe\",\"id\":1,\"channel\":\"room\"}");
      reply(a, 1);
      b.sendText("{\"type\":\"subscribe\",\"id\":1,\"channel\":\"room\",\"presence\":true}");
      Map<String, Object> refused = reply(b, 1);
      assertThat(refused).containsEntry("code", "limit");
      assertThat((String) refused.get("error")).contains("maxMembersPerChannel", "bob");
      assertThat(channels.stats().subscribers())
          .as("the refused subscription was not made")
          .isOne();
      b.sendText("{\"type\":\"presence\",\"id\":2,\"channel\":\"room\"}");
      assertThat(data(reply(b, 2)))
          .containsEntry("members", List.of(Map.of("user", "alice", "connections", 1)));
      b.sendText("{\"type\":\"presence\",\"id\":3,\"channel\":\"secret\"}");
      assertThat(reply(b, 3)).containsEntry("code", "forbidden");
      b.sendText("{\"type\":\"presence\",\"id\":4,\"channel\":\"a b\"}");
      assertThat(reply(b, 4)).containsEntry("code", "bad_request");
    } finally {
      channels.close();
    }
    assertThat(presence.join("room2", "dave", "x"))
        .as("a presence given to Channels stays open after Channels.close")
        .isTrue();
    presence.close();
  }
}
