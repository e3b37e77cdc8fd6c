package io.servicekit.demo.game;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.servicekit.demo.NodeProject;
import io.servicekit.jetty.ServiceKitServer;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.json.JsonMapper;

/**
 * Runs {@code src/test/node-grpcws/grpcws-interop.mjs} — the Go library's npm client {@code
 * GRPCWSClient} from {@code @panyam/servicekit-client} 0.0.6, unchanged — against the game demo:
 * server streaming, client streaming, bidi, a protojson error and cancel. Node 20+ and npm must be
 * on the {@code PATH} (the test fails without them; CI has them).
 */
class NodeGrpcWsInteropTest {
  private static final Duration SCRIPT_TIMEOUT = Duration.ofSeconds(90);
  private static final JsonMapper JSON = JsonMapper.builder().build();

  private static NodeProject project;

  @BeforeAll
  static void installDependencies() throws Exception {
    project = NodeProject.installed("node-grpcws", "@panyam/servicekit-client");
  }

  @Test
  @SuppressWarnings("unchecked")
  void theGoLibrarysNpmClientTalksToTheGameDemoUnchanged() throws Exception {
    GameDemo game = new GameDemo();
    try (ServiceKitServer server =
        game.routes(ServiceKitServer.builder().port(0)).build().start()) {
      NodeProject.Result result =
          project.node(
              SCRIPT_TIMEOUT,
              "--experimental-websocket",
              "grpcws-interop.mjs",
              server.uri().toString());
      assertThat(result.exit()).as("grpcws-interop.mjs failed:%n%s", result.output()).isZero();
      Map<String, Object> summary = JSON.readValue(result.lastLine(), Map.class);
      assertThat(summary).containsEntry("ok", true).containsEntry("client", "0.0.6");
      List<Map<String, Object>> checks = (List<Map<String, Object>>) summary.get("checks");
      assertThat(checks)
          .extracting(c -> c.get("name"))
          .containsExactly(
              "server streaming: subscribe and see players join",
              "client streaming: commands, end_send, summary then stream_end",
              "bidi: actions in, live states out, events to subscribers, half-close",
              "cancel ends a subscription: the others see the player leave");
      assertThat(checks).allSatisfy(c -> assertThat(c).as(c.toString()).containsEntry("ok", true));
      // every call the script opened is closed on the gRPC server
      await().atMost(Duration.ofSeconds(5)).until(() -> game.service().activeCalls() == 0);
      assertThat(game.service().rooms()).isZero();
    }
  }
}
