package io.servicekit.examples;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.servicekit.WsConfig;
import io.servicekit.jetty.ServiceKitServer;
import io.servicekit.testkit.TestWsClient;
import java.util.Map;
import org.junit.jupiter.api.Test;

class RoomExampleTest {
  private final RoomExample rooms = new RoomExample();

  private static void join(TestWsClient client, String room, int members) {
    client.sendJson(Map.of("type", "join", "room", room));
    assertThat(client.awaitJson())
        .isEqualTo(Map.of("type", "joined", "room", room, "members", members));
  }

  private static void say(TestWsClient client, String room, String text) {
    client.sendJson(Map.of("type", "say", "room", room, "text", text));
  }

  private static void expectSaid(TestWsClient client, String room, String text) {
    Map<String, Object> said = client.awaitJson();
    assertThat(said)
        .containsEntry("type", "said")
        .containsEntry("room", room)
        .containsEntry("text", text);
    assertThat((String) said.get("from")).matches("[0-9a-f]{32}");
  }

  @Test
  void broadcastsToTheRoomExceptTheSender() throws Exception {
    try (ServiceKitServer server = rooms.server(0, WsConfig.defaults()).start();
        TestWsClient a = TestWsClient.connect(server.wsUri(RoomExample.PATH));
        TestWsClient b = TestWsClient.connect(server.wsUri(RoomExample.PATH));
        TestWsClient c = TestWsClient.connect(server.wsUri(RoomExample.PATH))) {
      join(a, "r1", 1);
      join(b, "r1", 2);
      join(c, "r2", 1);
      join(a, "r2", 2);

      say(a, "r1", "hello r1");
      expectSaid(b, "r1", "hello r1");
      say(a, "r2", "hello r2");
      expectSaid(c, "r2", "hello r2"); // c's first message: nothing of r1 reached it

      // The sender was excluded both times: a's next message is b's answer.
      say(b, "r1", "hi a");
      expectSaid(a, "r1", "hi a");

      // After leaving, b gets nothing from r1; its next message comes from r2, which it joins.
      b.sendJson(Map.of("type", "leave", "room", "r1"));
      assertThat(b.awaitJson()).isEqualTo(Map.of("type", "left", "room", "r1"));
      say(a, "r1", "anyone?");
      join(b, "r2", 3);
      say(c, "r2", "welcome b");
      expectSaid(b, "r2", "welcome b");
      expectSaid(a, "r2", "welcome b");

      assertThat(rooms.members("r1")).isEqualTo(1);
      assertThat(rooms.broadcast("r2", Map.of("type", "server"), null)).isEqualTo(3);
      assertThat(c.awaitJson()).isEqualTo(Map.of("type", "server"));
    }
  }

  @Test
  void closedConnectionsLeaveTheirRooms() throws Exception {
    try (ServiceKitServer server = rooms.server(0, WsConfig.defaults()).start();
        TestWsClient a = TestWsClient.connect(server.wsUri(RoomExample.PATH))) {
      TestWsClient b = TestWsClient.connect(server.wsUri(RoomExample.PATH));
      join(a, "r1", 1);
      join(b, "r1", 2);
      join(b, "r2", 1);
      b.close();
      await().until(() -> rooms.members("r1") == 1 && rooms.members("r2") == 0);
      assertThat(rooms.broadcast("r1", Map.of("type", "ping"), null)).isEqualTo(1);
    }
  }

  @Test
  void answersBadMessagesWithAnErrorAndKeepsTheConnection() throws Exception {
    try (ServiceKitServer server = rooms.server(0, WsConfig.defaults()).start();
        TestWsClient a = TestWsClient.connect(server.wsUri(RoomExample.PATH))) {
      say(a, "r1", "not a member");
      assertThat(a.awaitJson())
          .isEqualTo(Map.of("type", "error", "error", "not in room 'r1': join it first"));
      a.sendJson(Map.of("type", "leave", "room", "r1"));
      assertThat(a.awaitJson()).containsEntry("error", "not in room 'r1'");
      a.sendJson(Map.of("type", "join", "room", "no spaces"));
      assertThat(a.awaitJson())
          .containsEntry(
              "error", "\"room\" must be 1-32 letters, digits, '_' or '-', got 'no spaces'");
      a.sendJson(Map.of("type", "shout", "room", "r1"));
      assertThat(a.awaitJson())
          .containsEntry("error", "unknown message type 'shout': expected join, leave or say");
      for (int i = 0; i < RoomExample.MAX_ROOMS_PER_CONNECTION; i++) {
        join(a, "room" + i, 1);
      }
      a.sendJson(Map.of("type", "join", "room", "one-too-many"));
      assertThat(a.awaitJson())
          .containsEntry("error", "cannot join 'one-too-many': already in 16 rooms");
      join(a, "room0", 1); // re-joining a room one is in is fine
    }
  }
}
