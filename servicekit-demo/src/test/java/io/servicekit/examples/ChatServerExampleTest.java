package io.servicekit.examples;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.servicekit.WsConfig;
import io.servicekit.examples.ChatServerExample.ChatServer;
import io.servicekit.jetty.ServiceKitServer;
import io.servicekit.testkit.TestWsClient;
import java.time.Instant;
import java.time.InstantSource;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ChatServerExampleTest {
  private static final long NOW = 1_735_689_600L;

  private final ChatServer chat = new ChatServer(InstantSource.fixed(Instant.ofEpochSecond(NOW)));

  private ServiceKitServer start() throws Exception {
    return ChatServerExample.server(0, chat, WsConfig.defaults()).start();
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> data(Map<String, Object> event) {
    return (Map<String, Object>) event.get("data");
  }

  @Test
  void announcesJoinsToOthersBroadcastsChatAndAnnouncesLeaves() throws Exception {
    try (ServiceKitServer server = start();
        TestWsClient alice = TestWsClient.connect(server.wsUri("/chat?username=alice"))) {
      await().until(() -> chat.size() == 1);
      TestWsClient bob = TestWsClient.connect(server.wsUri("/chat?username=bob"));

      Map<String, Object> joined = alice.awaitJson();
      assertThat(joined).containsEntry("type", "user_joined");
      assertThat(data(joined)).containsEntry("username", "bob");
      String bobId = (String) data(joined).get("userId");
      assertThat(bobId).matches("[0-9a-f]{32}");

      // Bob's own join was not sent to him: his first message is the chat.
      bob.sendJson(Map.of("type", "chat_message", "message", "hi all"));
      for (TestWsClient c : new TestWsClient[] {bob, alice}) {
        Map<String, Object> message = c.awaitJson();
        assertThat(message).containsEntry("type", "chat_message");
        assertThat(data(message))
            .containsEntry("username", "bob")
            .containsEntry("message", "hi all")
            .containsEntry("timestamp", (int) NOW);
      }

      bob.close();
      Map<String, Object> left = alice.awaitJson();
      assertThat(left).containsEntry("type", "user_left");
      assertThat(data(left)).containsEntry("username", "bob").containsEntry("userId", bobId);
      await().until(() -> chat.size() == 1);
    }
  }

  @Test
  void answersBadMessagesWithAnErrorAndKeepsTheConnection() throws Exception {
    try (ServiceKitServer server = start();
        TestWsClient alice = TestWsClient.connect(server.wsUri("/chat?username=alice"))) {
      alice.sendText("[1,2]");
      assertThat(alice.awaitJson())
          .containsEntry("type", "error")
          .containsEntry("error", "expected a JSON object, got an array");
      alice.sendText("{\"type\":\"chat_message\"}");
      assertThat(alice.awaitJson())
          .containsEntry("error", "\"message\" must be a non-empty string, got nothing");
      alice.sendText("{\"type\":\"dance\"}");
      assertThat(alice.awaitJson())
          .containsEntry("error", "unknown message type 'dance': expected chat_message");
      alice.sendJson(Map.of("type", "chat_message", "message", "x".repeat(1001)));
      assertThat(alice.awaitJson())
          .containsEntry("error", "\"message\" is longer than 1000 characters: 1001");

      alice.sendJson(Map.of("type", "chat_message", "message", "still here"));
      Map<String, Object> message = alice.awaitJson();
      assertThat(message).containsEntry("type", "chat_message");
      assertThat(data(message)).containsEntry("message", "still here");
    }
  }

  @Test
  void refusesAHandshakeWithoutAValidUsername() throws Exception {
    try (ServiceKitServer server = start()) {
      for (String query : new String[] {"", "?username=", "?username=a%20b"}) {
        assertThatThrownBy(() -> TestWsClient.connect(server.wsUri("/chat" + query)))
            .isInstanceOfSatisfying(
                TestWsClient.HandshakeFailed.class, e -> assertThat(e.status()).isEqualTo(400));
      }
      assertThat(chat.size()).isZero();
    }
  }
}
