package io.servicekit.demo;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.servicekit.jetty.ServiceKitServer;
import io.servicekit.testkit.TestWsClient;
import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class ChatTest {
  private ServiceKitServer server;

  @BeforeEach
  void start() throws Exception {
    server = DemoServer.create(0).start();
  }

  @AfterEach
  void stop() throws Exception {
    server.stop();
  }

  private URI chat(String username, String room) {
    StringBuilder query = new StringBuilder();
    if (username != null) {
      query.append("username=").append(URLEncoder.encode(username, StandardCharsets.UTF_8));
    }
    if (room != null) {
      query.append(query.isEmpty() ? "" : "&").append("room=").append(room);
    }
    return server.wsUri("/ws/chat" + (query.isEmpty() ? "" : "?" + query));
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> data(Map<String, Object> message) {
    return (Map<String, Object>) message.get("data");
  }

  /** A connected chat client and the data of its welcome message. */
  private record Member(TestWsClient ws, Map<String, Object> welcome) implements AutoCloseable {
    String userId() {
      return (String) welcome.get("userId");
    }

    @Override
    public void close() {
      ws.close();
    }
  }

  /** Connects and waits for the welcome. */
  private Member join(String username, String room) {
    TestWsClient client = TestWsClient.connect(chat(username, room));
    Map<String, Object> first = client.awaitJson();
    assertThat(first).containsEntry("type", "welcome");
    return new Member(client, data(first));
  }

  @Test
  @SuppressWarnings("unchecked")
  void twoClientsChatInARoom() {
    try (Member a = join("alice", "general");
        Member b = join("bob", "general")) {
      TestWsClient alice = a.ws();
      TestWsClient bob = b.ws();
      assertThat(a.welcome())
          .containsEntry("username", "alice")
          .containsEntry("room", "general")
          .containsKey("userId");
      String bobId = b.userId();
      assertThat(bobId).matches("[0-9a-f]{32}").isNotEqualTo(a.userId());

      Map<String, Object> joined = alice.awaitJson();
      assertThat(joined).containsEntry("type", "user_joined");
      assertThat(data(joined))
          .containsEntry("username", "bob")
          .containsEntry("userId", bobId)
          .containsEntry("room", "general");

      alice.sendJson(Map.of("type", "chat_message", "message", "Hello from Alice!"));
      for (TestWsClient client : List.of(alice, bob)) {
        Map<String, Object> chat = client.awaitJson();
        assertThat(chat).containsEntry("type", "chat_message");
        assertThat(data(chat))
            .containsEntry("username", "alice")
            .containsEntry("message", "Hello from Alice!")
            .containsEntry("userId", a.userId());
        assertThat(((Number) data(chat).get("timestamp")).longValue())
            .isCloseTo(System.currentTimeMillis() / 1000, org.assertj.core.data.Offset.offset(60L));
      }

      bob.sendJson(Map.of("type", "list_users"));
      Map<String, Object> users = bob.awaitJson();
      assertThat(users).containsEntry("type", "users");
      assertThat((List<Map<String, Object>>) users.get("data"))
          .extracting(u -> u.get("username"))
          .containsExactly("alice", "bob");

      bob.close(1000, "bye");
      assertThat(bob.awaitClose().code()).isEqualTo(1000);
      Map<String, Object> left = alice.awaitJson();
      assertThat(left).containsEntry("type", "user_left");
      assertThat(data(left)).containsEntry("username", "bob").containsEntry("userId", bobId);

      alice.sendJson(Map.of("type", "list_users"));
      assertThat((List<Map<String, Object>>) alice.awaitJson().get("data"))
          .extracting(u -> u.get("username"))
          .containsExactly("alice");
    }
  }

  @Test
  @SuppressWarnings("unchecked")
  void joinRoomMovesBetweenRooms() {
    try (Member a = join("alice", "lobby");
        Member b = join("bob", "lobby");
        Member c = join("carol", "games")) {
      TestWsClient alice = a.ws();
      TestWsClient bob = b.ws();
      TestWsClient carol = c.ws();
      assertThat(alice.awaitJson()).containsEntry("type", "user_joined");

      bob.sendJson(Map.of("type", "join_room", "room", "games"));
      Map<String, Object> changed = bob.awaitJson();
      assertThat(changed).containsEntry("type", "room_changed");
      assertThat(data(changed))
          .containsEntry("room", "games")
          .containsEntry("previousRoom", "lobby");

      Map<String, Object> left = alice.awaitJson();
      assertThat(left).containsEntry("type", "user_left");
      assertThat(data(left)).containsEntry("username", "bob").containsEntry("room", "lobby");
      Map<String, Object> joined = carol.awaitJson();
      assertThat(joined).containsEntry("type", "user_joined");
      assertThat(data(joined)).containsEntry("username", "bob").containsEntry("room", "games");

      // Messages now stay in their room.
      carol.sendJson(Map.of("type", "chat_message", "message", "gg"));
      assertThat(data(bob.awaitJson())).containsEntry("message", "gg");
      assertThat(data(carol.awaitJson())).containsEntry("message", "gg");
      alice.sendJson(Map.of("type", "chat_message", "message", "anyone?"));
      assertThat(data(alice.awaitJson())).containsEntry("message", "anyone?");
      bob.sendJson(Map.of("type", "list_users"));
      assertThat((List<Map<String, Object>>) bob.awaitJson().get("data"))
          .extracting(u -> u.get("username"))
          .containsExactly("bob", "carol");
      assertThat(bob.drain()).isEmpty(); // alice's message did not reach the games room

      bob.sendJson(Map.of("type", "join_room", "room", ""));
      assertThat(bob.awaitJson())
          .containsEntry("type", "error")
          .containsEntry("error", "room must not be empty or blank");
      bob.sendJson(Map.of("type", "join_room"));
      assertThat(bob.awaitJson()).containsEntry("error", "join_room needs a string \"room\"");
    }
  }

  /** A client that has its welcome is in the room: a message sent right after reaches it. */
  @Test
  void theWelcomeMeansMembership() {
    for (int i = 0; i < 25; i++) {
      String room = "race-" + i;
      try (Member speaker = join("speaker", room);
          Member listener = join("listener", room)) {
        speaker.ws().sendJson(Map.of("type", "chat_message", "message", "m" + i));
        Map<String, Object> got = listener.ws().awaitJson();
        assertThat(got).containsEntry("type", "chat_message");
        assertThat(data(got)).containsEntry("message", "m" + i);
      }
    }
  }

  @Test
  void clientPingGetsPong() {
    try (TestWsClient client = TestWsClient.connect(chat("pinger", null))) {
      assertThat(client.awaitJson()).containsEntry("type", "welcome");
      client.sendJson(Map.of("type", "ping", "pingId", 1));
      Map<String, Object> pong = client.awaitJson();
      assertThat(pong).containsEntry("type", "pong").containsEntry("pingId", 1);
      assertThat(pong.get("timestamp")).isInstanceOf(Number.class);
    }
  }

  @Test
  void defaultsToAGuestNameInTheLobby() {
    try (TestWsClient client = TestWsClient.connect(chat(null, null))) {
      Map<String, Object> welcome = client.awaitJson();
      assertThat(welcome).containsEntry("type", "welcome");
      assertThat(data(welcome)).containsEntry("room", "lobby");
      String userId = (String) data(welcome).get("userId");
      assertThat(data(welcome)).containsEntry("username", "guest-" + userId.substring(0, 6));
    }
  }

  @Test
  void unknownTypesAndBadFieldsGetAnErrorAndTheConnectionStaysOpen() {
    try (TestWsClient client = TestWsClient.connect(chat("carl", "errors"))) {
      assertThat(client.awaitJson()).containsEntry("type", "welcome");
      client.sendJson(Map.of("type", "dance"));
      assertThat(client.awaitText())
          .isEqualTo("{\"error\":\"unknown message type: dance\",\"type\":\"error\"}");
      client.sendJson(Map.of("type", "chat_message", "message", 42));
      assertThat(client.awaitJson())
          .containsEntry("error", "chat_message needs a non-empty string \"message\"");
      client.sendJson(Map.of("type", "chat_message", "message", "y".repeat(4001)));
      assertThat(client.awaitJson())
          .containsEntry(
              "error", "chat_message \"message\" must be at most 4000 characters, got 4001");
      client.sendJson(Map.of("type", "chat_message", "message", "still here"));
      assertThat(data(client.awaitJson())).containsEntry("message", "still here");
      assertThat(client.isClosed()).isFalse();
    }
  }

  @Test
  void malformedMessagesClose() {
    Map<String, Integer> cases =
        Map.of(
            "[1,2]", 1007, // valid JSON, not an object
            "{\"message\":\"no type\"}", 1007,
            "{\"type\":7}", 1007,
            "not json", 1007); // the codec's rule
    cases.forEach(
        (text, code) -> {
          try (TestWsClient client = TestWsClient.connect(chat("m", "malformed"))) {
            assertThat(client.awaitJson()).containsEntry("type", "welcome");
            client.sendText(text);
            TestWsClient.Close close = client.awaitClose();
            assertThat(close.code()).as(text).isEqualTo(code);
            assertThat(close.reason()).as(text).isNotBlank();
          }
        });
    try (TestWsClient client = TestWsClient.connect(chat("m", "malformed"))) {
      assertThat(client.awaitJson()).containsEntry("type", "welcome");
      client.sendBinary(new byte[] {1});
      assertThat(client.awaitClose().code()).isEqualTo(1003);
    }
  }

  @Test
  void closeReasonNamesTheRule() {
    try (TestWsClient client = TestWsClient.connect(chat("m", "malformed"))) {
      client.awaitJson();
      client.sendText("[1]");
      assertThat(client.awaitClose().reason())
          .isEqualTo("chat messages must be JSON objects, got an array");
    }
    try (TestWsClient client = TestWsClient.connect(chat("m", "malformed"))) {
      client.awaitJson();
      client.sendText("{}");
      assertThat(client.awaitClose().reason())
          .isEqualTo("chat messages need a string \"type\" field");
    }
  }

  @Test
  void badUsernamesAreRefusedWith400() throws Exception {
    assertThatThrownBy(() -> TestWsClient.connect(chat("x".repeat(33), null)))
        .isInstanceOfSatisfying(
            TestWsClient.HandshakeFailed.class, e -> assertThat(e.status()).isEqualTo(400));
    assertThat(Http.rawUpgrade(server.uri(), "/ws/chat?username=" + "x".repeat(33)))
        .startsWith("HTTP/1.1 400 ")
        .endsWith("username must be at most 32 characters, got 33");
    assertThat(Http.rawUpgrade(server.uri(), "/ws/chat?username="))
        .startsWith("HTTP/1.1 400 ")
        .endsWith("username must not be empty or blank");
    assertThat(Http.rawUpgrade(server.uri(), "/ws/chat?username=%20%20"))
        .startsWith("HTTP/1.1 400 ")
        .endsWith("username must not be empty or blank");
    assertThat(Http.rawUpgrade(server.uri(), "/ws/chat?username=a%0Ab"))
        .startsWith("HTTP/1.1 400 ")
        .endsWith("username must not contain control characters");
    assertThat(Http.rawUpgrade(server.uri(), "/ws/chat?room=" + "r".repeat(40)))
        .startsWith("HTTP/1.1 400 ")
        .endsWith("room must be at most 32 characters, got 40");
    // 32 characters, not all ASCII, is fine.
    try (TestWsClient client = TestWsClient.connect(chat("\u00e9".repeat(32), null))) {
      assertThat(data(client.awaitJson())).containsEntry("username", "\u00e9".repeat(32));
    }
  }

  @Test
  void serverHeartbeatPongsAreAbsorbed() throws Exception {
    try (ServiceKitServer fast = DemoServer.create(0, Duration.ofMillis(100)).start();
        TestWsClient client = TestWsClient.connect(fast.wsUri("/ws/chat?username=hb"))) {
      Map<String, Object> welcome = client.awaitJson();
      Map<String, Object> ping = client.awaitJsonOfType("ping");
      assertThat(ping)
          .containsEntry("connId", data(welcome).get("userId"))
          .containsEntry("name", "ChatConn")
          .containsEntry("pingId", 1);
      client.sendText("{\"type\":\"pong\",\"pingId\":1}");
      client.sendJson(Map.of("type", "list_users"));
      // Had the pong reached ChatConn, an "unknown message type: pong" error would come first.
      Map<String, Object> next;
      do {
        next = client.awaitJson();
      } while ("ping".equals(next.get("type")));
      assertThat(next).containsEntry("type", "users");
    }
  }
}
