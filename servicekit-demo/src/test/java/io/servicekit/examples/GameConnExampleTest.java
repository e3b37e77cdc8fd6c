package io.servicekit.examples;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.servicekit.Message;
import io.servicekit.TypedJsonCodec;
import io.servicekit.WsConfig;
import io.servicekit.examples.GameConnExample.GameInput;
import io.servicekit.examples.GameConnExample.GameMessage;
import io.servicekit.jetty.ServiceKitServer;
import io.servicekit.testkit.TestWsClient;
import java.net.URI;
import java.time.Instant;
import java.time.InstantSource;
import java.util.Map;
import org.junit.jupiter.api.Test;

class GameConnExampleTest {
  private static final long NOW = 1_735_689_600L;

  private final GameConnExample game =
      new GameConnExample(InstantSource.fixed(Instant.ofEpochSecond(NOW)));

  private static URI uri(ServiceKitServer server, String room, String player) {
    return server.wsUri("/games/" + room + "?player=" + player);
  }

  @Test
  void welcomesThePlayerFirst() throws Exception {
    try (ServiceKitServer server = game.server(0, WsConfig.defaults()).start();
        TestWsClient alice = TestWsClient.connect(uri(server, "r1", "alice"))) {
      assertThat(alice.awaitJson())
          .containsEntry("type", "welcome")
          .containsEntry("playerId", "alice")
          .containsEntry("data", Map.of("playerId", "alice", "gameRoom", "r1"))
          .containsEntry("timestamp", (int) NOW);
    }
  }

  @Test
  void dispatchesMovesToTheRoomAndChatsToTheOthers() throws Exception {
    try (ServiceKitServer server = game.server(0, WsConfig.defaults()).start();
        TestWsClient alice = TestWsClient.connect(uri(server, "r1", "alice"));
        TestWsClient bob = TestWsClient.connect(uri(server, "r1", "bob"));
        TestWsClient carol = TestWsClient.connect(uri(server, "r2", "carol"))) {
      for (TestWsClient c : new TestWsClient[] {alice, bob, carol}) {
        assertThat(c.awaitJson()).containsEntry("type", "welcome");
      }
      await().until(() -> game.players("r1") == 2 && game.players("r2") == 1);

      // A move goes to the whole room, the mover included; a claimed playerId is ignored.
      alice.sendText("{\"type\":\"move\",\"playerId\":\"mallory\",\"data\":{\"x\":1,\"y\":2}}");
      Map<String, Object> move = Map.of("x", 1, "y", 2);
      for (TestWsClient c : new TestWsClient[] {alice, bob}) {
        assertThat(c.awaitJson())
            .containsEntry("type", "move")
            .containsEntry("playerId", "alice")
            .containsEntry("data", move)
            .containsEntry("timestamp", (int) NOW);
      }

      // A chat goes to the others in the room only.
      alice.sendText("{\"type\":\"chat\",\"data\":\"gg\"}");
      alice.sendText("{\"type\":\"move\",\"data\":\"resign\"}");
      assertThat(bob.awaitJson())
          .containsEntry("type", "chat")
          .containsEntry("playerId", "alice")
          .containsEntry("data", "gg");
      assertThat(bob.awaitJson()).containsEntry("type", "move").containsEntry("data", "resign");
      assertThat(alice.awaitJson()).containsEntry("type", "move").containsEntry("data", "resign");

      // Nothing of room r1 reached carol: her next message is her own move.
      carol.sendText("{\"type\":\"move\",\"data\":\"e4\"}");
      assertThat(carol.awaitJson())
          .containsEntry("type", "move")
          .containsEntry("playerId", "carol")
          .containsEntry("data", "e4");
    }
  }

  @Test
  void answersBadMessagesWithAnErrorAndKeepsTheConnection() throws Exception {
    try (ServiceKitServer server = game.server(0, WsConfig.defaults()).start();
        TestWsClient alice = TestWsClient.connect(uri(server, "r1", "alice"))) {
      assertThat(alice.awaitJson()).containsEntry("type", "welcome");
      await().until(() -> game.players("r1") == 1);

      alice.sendText("{\"data\":1}");
      assertThat(alice.awaitJson())
          .containsEntry("type", "error")
          .containsEntry("error", "a game message needs a \"type\": move or chat");
      alice.sendText("{\"type\":\"jump\"}");
      assertThat(alice.awaitJson())
          .containsEntry("error", "unknown message type 'jump': expected move or chat");
      alice.sendText("{\"type\":\"move\"}");
      assertThat(alice.awaitJson()).containsEntry("error", "a move needs \"data\"");
      alice.sendText("{\"type\":\"chat\",\"data\":42}");
      assertThat((String) alice.awaitJson().get("error")).startsWith("a chat needs \"data\"");

      alice.sendText("{\"type\":\"move\",\"data\":\"e4\"}");
      assertThat(alice.awaitJson()).containsEntry("type", "move").containsEntry("data", "e4");
      assertThat(alice.isClosed()).isFalse();
    }
  }

  @Test
  void leavesNullDataOutLikeGoOmitempty() {
    // Fields in declaration order, as Go encodes its struct.
    var codec = TypedJsonCodec.<GameInput, GameMessage>of(GameInput.class);
    assertThat(codec.encode(new GameMessage("tick", "alice", null, 5)))
        .isEqualTo(Message.text("{\"type\":\"tick\",\"playerId\":\"alice\",\"timestamp\":5}"));
  }

  @Test
  void refusesAHandshakeWithoutAValidPlayer() throws Exception {
    try (ServiceKitServer server = game.server(0, WsConfig.defaults()).start()) {
      assertThatThrownBy(() -> TestWsClient.connect(server.wsUri("/games/r1")))
          .isInstanceOfSatisfying(
              TestWsClient.HandshakeFailed.class,
              e -> {
                assertThat(e.status()).isEqualTo(400);
                assertThat(e.body())
                    .isEqualTo(
                        "query parameter 'player' is required: 1-32 letters, digits, '_' or '-'");
              });
      assertThatThrownBy(() -> TestWsClient.connect(uri(server, "r1", "a%20b")))
          .isInstanceOfSatisfying(
              TestWsClient.HandshakeFailed.class,
              e -> {
                assertThat(e.status()).isEqualTo(400);
                assertThat(e.body()).endsWith(", got 'a b'");
              });
      assertThatThrownBy(() -> TestWsClient.connect(uri(server, "a.b", "alice")))
          .isInstanceOfSatisfying(
              TestWsClient.HandshakeFailed.class,
              e ->
                  assertThat(e.body())
                      .startsWith("the game room in the path is required")
                      .endsWith(", got 'a.b'"));
      assertThat(game.players()).isZero();
    }
  }
}
