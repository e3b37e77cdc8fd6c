package io.servicekit.jetty;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.servicekit.CloseException;
import io.servicekit.CloseStatus;
import io.servicekit.Codec;
import io.servicekit.Hub;
import io.servicekit.OriginPolicy;
import io.servicekit.Rejection;
import io.servicekit.SlowConsumerPolicy;
import io.servicekit.TypedJsonCodec;
import io.servicekit.WsConfig;
import io.servicekit.WsListener;
import io.servicekit.WsSession;
import io.servicekit.testkit.TestWsClient;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The README's tour, compiled and run, so the README cannot drift from the API. */
class ReadmeTourTest {
  /** The README's echo listener. */
  static WsListener<Object, Object> echo() {
    // One listener per connection. send never blocks; false if the connection is closed or too
    // far behind.
    return WsListener.json("EchoConn", (session, message) -> session.send(message));
  }

  record ChatIn(String type, String room, String message) {}

  record ChatOut(String type, String from, String message) {}

  static class ChatConn implements WsListener<ChatIn, ChatOut> {
    static final Codec<ChatIn, ChatOut> CODEC = TypedJsonCodec.of(ChatIn.class);
    private final Hub<ChatOut> hub;

    ChatConn(Hub<ChatOut> hub) {
      this.hub = hub;
    }

    @Override
    public Codec<ChatIn, ChatOut> codec() {
      return CODEC; // one shared codec: a broadcast is encoded once
    }

    @Override
    public void onOpen(WsSession<ChatOut> session) {
      hub.register(session); // leaves the hub and its rooms by itself on close
    }

    @Override
    public void onMessage(WsSession<ChatOut> session, ChatIn in) {
      switch (in.type()) {
        case "join" -> hub.join(session, in.room());
        case "say" ->
            hub.broadcastToRoom(in.room(), new ChatOut("said", session.id(), in.message()));
        default ->
            throw new CloseException(CloseStatus.POLICY_VIOLATION, "unknown type " + in.type());
      }
    }
  }

  @Test
  void theTourWorks() throws Exception {
    Hub<ChatOut> hub = new Hub<>();
    WsConfig config =
        WsConfig.builder()
            .pingPeriod(Duration.ofSeconds(25))
            .pongPeriod(Duration.ofMinutes(2))
            .maxMessageSize(64 * 1024) // bigger messages close with 1009
            .maxQueuedBytes(1 << 20) // per-connection outgoing budget
            .slowConsumerPolicy(SlowConsumerPolicy.DROP_OLDEST)
            .originPolicy(OriginPolicy.sameOriginOr("https://app.example.com"))
            .build();
    try (ServiceKitServer server =
        ServiceKitServer.builder()
            .port(0)
            .ws("/echo", request -> echo())
            .ws(
                "/secure",
                request -> {
                  String token =
                      request
                          .header("Authorization")
                          .or(() -> request.queryParam("token"))
                          .orElseThrow(() -> Rejection.of(401, "Missing authentication token"));
                  return echo();
                })
            .ws("/chat", request -> new ChatConn(hub), config)
            .build()
            .start()) {
      try (TestWsClient echo = TestWsClient.connect(server.wsUri("/echo"))) {
        echo.sendText("{\"hello\":\"world\"}");
        assertThat(echo.awaitJson()).isEqualTo(Map.of("hello", "world"));
      }
      assertThatThrownBy(() -> TestWsClient.connect(server.wsUri("/secure")))
          .isInstanceOfSatisfying(
              TestWsClient.HandshakeFailed.class, e -> assertThat(e.status()).isEqualTo(401));
      TestWsClient.connect(server.wsUri("/secure?token=t")).close();

      try (TestWsClient ann = TestWsClient.connect(server.wsUri("/chat"));
          TestWsClient bob = TestWsClient.connect(server.wsUri("/chat"))) {
        ann.sendText("{\"type\":\"join\",\"room\":\"r\"}");
        bob.sendText("{\"type\":\"join\",\"room\":\"r\"}");
        org.awaitility.Awaitility.await().until(() -> hub.members("r").size() == 2);
        ann.sendText("{\"type\":\"say\",\"room\":\"r\",\"message\":\"hi\"}");
        assertThat(bob.awaitJson()).containsEntry("type", "said").containsEntry("message", "hi");
        assertThat(ann.awaitJson()).containsEntry("message", "hi");
        bob.sendText("{\"type\":\"shout\"}");
        assertThat(bob.awaitClose()).isEqualTo(new TestWsClient.Close(1008, "unknown type shout"));
      }
    }
  }
}
