package io.servicekit.demo.game;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.grpc.stub.StreamObserver;
import io.servicekit.WsConfig;
import io.servicekit.demo.game.v1.GameState;
import io.servicekit.demo.game.v1.PlayerAction;
import io.servicekit.grpc.BidiStreamHandler;
import io.servicekit.grpc.GrpcBridge;
import io.servicekit.jetty.ServiceKitServer;
import io.servicekit.testkit.DocSnippets;
import io.servicekit.testkit.FakeScheduler;
import io.servicekit.testkit.TestWsClient;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Runs the samples of docs/grpc-websocket.md and checks that the docs quote compiled code. */
class GrpcWsExamplesTest {
  @Test
  void binaryConnSurvivesTheJsonHeartbeatAndPong() throws Exception {
    FakeScheduler time = new FakeScheduler();
    WsConfig config = WsConfig.builder().scheduler(time).writeTimeout(Duration.ofDays(1)).build();
    try (ServiceKitServer server =
            ServiceKitServer.builder()
                .port(0)
                .ws("/bin", r -> new GrpcWsExamples.BinaryStateConn(), config)
                .ws("/json", r -> GrpcWsExamples.jsonStateConn(), config)
                .build()
                .start();
        TestWsClient bin = TestWsClient.connect(server.wsUri("/bin"));
        TestWsClient json = TestWsClient.connect(server.wsUri("/json"))) {
      json.sendText("{\"actionId\":\"a2\",\"unknownField\":1}");
      assertThat(json.awaitText()).isEqualTo("{\"stateId\":\"a2\"}");
      byte[] action =
          PlayerAction.newBuilder().setActionId("a1").setPlayerId("p").build().toByteArray();
      bin.sendBinary(action);
      assertThat(GameState.parseFrom(bin.awaitBinary()).getStateId()).isEqualTo("a1");
      time.advanceBy(Duration.ofSeconds(30)); // the connection has started: its ping is due
      assertThat(bin.awaitJson()).containsEntry("type", "ping").containsEntry("pingId", 1);
      bin.sendText("{\"type\":\"pong\",\"pingId\":1}");
      bin.sendBinary(action);
      GameState state = GameState.parseFrom(bin.awaitBinary());
      assertThat(state.getStateId()).isEqualTo("a1");
      assertThat(state.getPlayers(0).getPlayerId()).isEqualTo("p");
      assertThat(bin.isClosed()).isFalse();
    }
  }

  @Test
  void metricsAreReadableFromTheConnection() throws Exception {
    GrpcWsExamples.Metered<GrpcBridge<PlayerAction, GameState>> metered =
        new GrpcWsExamples.Metered<>();
    // any StreamObserver works as the upstream; here a local echo instead of a gRPC stub
    BidiStreamHandler<PlayerAction, GameState> handler =
        BidiStreamHandler.of(
            PlayerAction.getDefaultInstance(),
            (request, responses) ->
                new StreamObserver<PlayerAction>() {
                  @Override
                  public void onNext(PlayerAction a) {
                    responses.onNext(GameState.newBuilder().setStateId(a.getActionId()).build());
                  }

                  @Override
                  public void onError(Throwable t) {}

                  @Override
                  public void onCompleted() {
                    responses.onCompleted();
                  }
                },
            GrpcWsExamples.options());
    try (ServiceKitServer server =
            ServiceKitServer.builder()
                .port(0)
                .ws("/sync", metered.wrap(handler::accept))
                .build()
                .start();
        TestWsClient c = TestWsClient.connect(server.wsUri("/sync"))) {
      c.sendText("{\"type\":\"data\",\"data\":{\"actionId\":\"a\",\"ignored\":true}}");
      c.sendText("{\"type\":\"data\",\"data\":{\"actionId\":\"b\"}}");
      assertThat(c.awaitJson()).isEqualTo(Map.of("type", "data", "data", Map.of("stateId", "a")));
      assertThat(c.awaitJson()).isEqualTo(Map.of("type", "data", "data", Map.of("stateId", "b")));
      c.sendText("{\"type\":\"end_send\"}");
      assertThat(c.awaitText()).isEqualTo("{\"type\":\"stream_end\"}");
      GrpcBridge<PlayerAction, GameState> conn = metered.conns.get(0);
      assertThat(conn.metrics().messagesSent()).isEqualTo(2);
      assertThat(conn.metrics().messagesReceived()).isEqualTo(2);
      assertThat(conn.kind()).isEqualTo(GrpcBridge.Kind.BIDI_STREAMING);
      c.close(1000, "bye");
      await().until(() -> conn.metrics().ended());
    }
  }

  /** Every java block of docs/grpc-websocket.md is a region of a compiled source file. */
  @Test
  void docsQuoteCompiledCode() {
    DocSnippets.assertJavaBlocksCompiled(
        Path.of("../docs/grpc-websocket.md"),
        5,
        Path.of("src/main/java"),
        Path.of("src/test/java"));
  }
}
