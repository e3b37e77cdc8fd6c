package io.servicekit.examples;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.servicekit.WsConfig;
import io.servicekit.examples.ConnectionManagerExample.ConnectionManager;
import io.servicekit.jetty.ServiceKitServer;
import io.servicekit.testkit.TestWsClient;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class ConnectionManagerExampleTest {
  private static final HttpClient HTTP = HttpClient.newHttpClient();

  private static TestWsClient join(ServiceKitServer server, String room) {
    TestWsClient client = TestWsClient.connect(server.wsUri("/rooms/" + room));
    assertThat(client.awaitJson()).containsEntry("type", "welcome").containsEntry("roomId", room);
    return client;
  }

  private static String stats(ServiceKitServer server) throws Exception {
    HttpResponse<String> response =
        HTTP.send(
            HttpRequest.newBuilder(server.uri().resolve(ConnectionManagerExample.STATS_PATH))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(response.headers().firstValue("Content-Type")).contains("application/json");
    return response.body().trim();
  }

  @Test
  void enforcesTheLimitWith503AndFreesASlotWhenAConnectionCloses() throws Exception {
    ConnectionManager manager = new ConnectionManager(2);
    try (ServiceKitServer server =
        ConnectionManagerExample.server(0, manager, WsConfig.defaults()).start()) {
      TestWsClient a = join(server, "lobby");
      TestWsClient b = join(server, "games");
      assertThat(stats(server))
          .isEqualTo("{\"total_connections\":2,\"max_connections\":2,\"rooms\":2}");

      TestWsClient.HandshakeFailed refused = null;
      try {
        TestWsClient.connect(server.wsUri("/rooms/lobby")).close();
      } catch (TestWsClient.HandshakeFailed e) {
        refused = e;
      }
      assertThat(refused).as("third connection refused").isNotNull();
      assertThat(refused.status()).isEqualTo(503);
      assertThat(refused.body()).isEqualTo("connection limit reached (2)");
      assertThat(refused.header("Retry-After")).contains("5");

      a.close();
      await()
          .until(
              () ->
                  manager
                      .stats()
                      .equals(Map.of("total_connections", 1, "max_connections", 2, "rooms", 1)));
      assertThat(stats(server))
          .isEqualTo("{\"total_connections\":1,\"max_connections\":2,\"rooms\":1}");
      try (TestWsClient c = join(server, "lobby")) {
        assertThat(manager.stats()).containsEntry("total_connections", 2);
      }
      b.close();
    }
  }

  @Test
  void racingConnectionsNeverExceedTheLimit() throws Exception {
    ConnectionManager manager = new ConnectionManager(3);
    List<TestWsClient> connected = new ArrayList<>();
    AtomicInteger refused503 = new AtomicInteger();
    try (ServiceKitServer server =
            ConnectionManagerExample.server(0, manager, WsConfig.defaults()).start();
        ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
      List<Future<TestWsClient>> attempts = new ArrayList<>();
      for (int i = 0; i < 10; i++) {
        attempts.add(
            pool.submit(
                () -> {
                  try {
                    return TestWsClient.connect(server.wsUri("/rooms/lobby"));
                  } catch (TestWsClient.HandshakeFailed e) {
                    assertThat(e.status()).isEqualTo(503);
                    refused503.incrementAndGet();
                    return null;
                  }
                }));
      }
      for (Future<TestWsClient> attempt : attempts) {
        TestWsClient client = attempt.get();
        if (client != null) {
          connected.add(client);
        }
      }
      // Losers were refused before the upgrade (503) or, past that check, closed with 1013.
      await()
          .until(
              () ->
                  refused503.get() + connected.stream().filter(TestWsClient::isClosed).count()
                      == 7);
      List<TestWsClient> open = connected.stream().filter(c -> !c.isClosed()).toList();
      assertThat(open).hasSize(3);
      for (TestWsClient c : connected) {
        if (c.isClosed()) {
          assertThat(c.awaitClose().code()).isEqualTo(1013);
          assertThat(c.awaitClose().reason()).isEqualTo("connection limit reached (3)");
        }
      }
      for (TestWsClient c : open) {
        assertThat(c.awaitJson()).containsEntry("type", "welcome");
      }
      assertThat(manager.stats()).containsEntry("total_connections", 3);
    } finally {
      connected.forEach(TestWsClient::close);
    }
  }

  @Test
  void broadcastsToOneRoomOnlyAndRelaysMessagesToTheRest() throws Exception {
    ConnectionManager manager = new ConnectionManager(10);
    try (ServiceKitServer server =
            ConnectionManagerExample.server(0, manager, WsConfig.defaults()).start();
        TestWsClient a = join(server, "lobby");
        TestWsClient b = join(server, "lobby");
        TestWsClient c = join(server, "other")) {
      assertThat(manager.broadcastToRoom("lobby", Map.of("type", "news"))).isEqualTo(2);
      assertThat(a.awaitJson()).containsEntry("type", "news");
      assertThat(b.awaitJson()).containsEntry("type", "news");
      assertThat(manager.broadcastToRoom("other", Map.of("type", "other-news"))).isEqualTo(1);
      assertThat(c.awaitJson()).containsEntry("type", "other-news");
      assertThat(manager.broadcastToRoom("empty", Map.of("type", "x"))).isZero();

      a.sendText("{\"type\":\"hi\"}");
      assertThat(b.awaitText()).isEqualTo("{\"type\":\"hi\"}");
      assertThat(manager.broadcastToRoom("lobby", Map.of("type", "after"))).isEqualTo(2);
      assertThat(a.awaitJson()).containsEntry("type", "after");
      assertThat(manager.broadcastToRoom("other", Map.of("type", "after"))).isEqualTo(1);
      assertThat(c.awaitJson()).containsEntry("type", "after");
      assertThat(manager.stats()).containsEntry("rooms", 2).containsEntry("total_connections", 3);
    }
  }
}
