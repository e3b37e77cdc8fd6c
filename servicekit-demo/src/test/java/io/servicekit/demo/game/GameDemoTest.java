package io.servicekit.demo.game;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.servicekit.jetty.ServiceKitServer;
import io.servicekit.testkit.TestWsClient;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The game demo over real WebSockets and its real (in-process) gRPC service. */
class GameDemoTest {
  private static final HttpClient HTTP = HttpClient.newHttpClient();

  private GameDemo game;
  private ServiceKitServer server;

  @BeforeEach
  void start() throws Exception {
    game = new GameDemo();
    server = game.routes(ServiceKitServer.builder().port(0)).build().start();
  }

  @AfterEach
  void stop() throws Exception {
    server.stop();
  }

  private TestWsClient ws(String path) {
    return TestWsClient.connect(server.wsUri(path));
  }

  private HttpResponse<String> get(String path) throws Exception {
    return HTTP.send(
        HttpRequest.newBuilder(URI.create(server.uri().toString().replaceAll("/$", "") + path))
            .timeout(Duration.ofSeconds(10))
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> data(TestWsClient c) {
    Map<String, Object> m = c.awaitJsonOfType("data");
    return (Map<String, Object>) m.get("data");
  }

  private static Map<String, Object> event(TestWsClient c, String type) {
    Map<String, Object> e;
    do {
      e = data(c);
    } while (!type.equals(e.get("eventType")));
    return e;
  }

  @Test
  void servesThePageAndRedirectsToARandomGame() throws Exception {
    HttpResponse<String> page = get("/game/room-1");
    assertThat(page.statusCode()).isEqualTo(200);
    assertThat(page.headers().firstValue("Content-Type")).hasValue("text/html; charset=utf-8");
    assertThat(page.body())
        .contains("Join Game", "Send Command", "Join Sync", "location.protocol === \"https:\"");
    HttpResponse<String> redirect = get("/game/");
    assertThat(redirect.statusCode()).isEqualTo(307);
    assertThat(redirect.headers().firstValue("Location"))
        .get()
        .asString()
        .matches("/game/game-\\d+");
    assertThat(get("/game/bad%20id").statusCode()).isEqualTo(404);
  }

  @Test
  @SuppressWarnings("unchecked")
  void twoPlayersSeeEachOthersEventsAndStatesInTheirGameOnly() {
    try (TestWsClient alice = ws("/ws/v1/g1/subscribe?player_id=alice");
        TestWsClient other = ws("/ws/v1/g2/subscribe?player_id=carol")) {
      // the call opens after the upgrade: wait for alice's own join before bob connects
      assertThat(data(alice))
          .containsEntry("eventType", "player_joined")
          .containsEntry("gameId", "g1");
      TestWsClient bob = ws("/ws/v1/g1/subscribe?player_id=bob");
      TestWsClient sync = ws("/ws/v1/g1/sync");
      assertThat(data(alice).get("playerJoined")).asString().contains("bob");
      assertThat(data(other).get("playerJoined")).asString().contains("carol");
      sync.sendText(
          "{\"type\":\"data\",\"data\":{\"actionId\":\"a1\",\"playerId\":\"bob\",\"attack\":{\"targetId\":\"x\"}}}");
      Map<String, Object> state = data(sync);
      List<Map<String, Object>> players = (List<Map<String, Object>>) state.get("players");
      assertThat(players)
          .anySatisfy(
              p -> assertThat(p).containsEntry("playerId", "bob").containsEntry("score", 10));
      assertThat(event(bob, "player_action").get("playerAction")).asString().contains("a1");
      assertThat(event(alice, "player_action").get("playerAction")).asString().contains("bob");
      // carol's game g2 saw nothing of g1's action
      other.sendText("{\"type\":\"ping\",\"pingId\":3}");
      assertThat(other.awaitJson()).isEqualTo(Map.of("type", "pong", "pingId", 3));
      bob.close();
      sync.close();
    }
    await().atMost(Duration.ofSeconds(5)).until(() -> game.service().activeCalls() == 0);
    assertThat(game.service().rooms()).isZero();
  }

  @Test
  void manyActionsNeverDeadlockTheRoom() {
    try (TestWsClient watcher = ws("/ws/v1/busy/subscribe?player_id=w");
        TestWsClient sync = ws("/ws/v1/busy/sync")) {
      data(watcher);
      for (int i = 1; i <= 500; i++) {
        sync.sendText(
            "{\"type\":\"data\",\"data\":{\"actionId\":\"a"
                + i
                + "\",\"playerId\":\"p\",\"move\":{\"x\":"
                + i
                + "}}}");
      }
      Map<String, Object> last;
      do {
        last = data(sync);
      } while (!"state-500".equals(last.get("stateId")));
      sync.sendText("{\"type\":\"end_send\"}");
      assertThat(sync.awaitJsonOfType("stream_end")).isEqualTo(Map.of("type", "stream_end"));
    }
    await().atMost(Duration.ofSeconds(5)).until(() -> game.service().activeCalls() == 0);
  }

  @Test
  void invalidInputIsRefusedWithAReason() {
    assertThatThrownBy(() -> ws("/ws/v1/g1/subscribe?player_id=no%20spaces"))
        .isInstanceOfSatisfying(
            TestWsClient.HandshakeFailed.class,
            e -> {
              assertThat(e.status()).isEqualTo(400);
              assertThat(e.body()).contains("player_id must be 1-64 of [A-Za-z0-9._-]");
            });
    assertThat(game.service().activeCalls()).isZero();
    try (TestWsClient c = ws("/ws/v1/g1/commands")) {
      c.sendText("{\"type\":\"data\",\"data\":{\"commandId\":1,\"nope\":true}}");
      assertThat((String) c.awaitJson().get("error"))
          .startsWith("invalid game.v1.GameCommand JSON");
      c.sendText("{\"type\":\"end_send\"}");
      assertThat(data(c)).isEmpty(); // nothing received: an all-default summary prints as {}
      assertThat(c.awaitJsonOfType("stream_end")).isNotNull();
    }
  }
}
