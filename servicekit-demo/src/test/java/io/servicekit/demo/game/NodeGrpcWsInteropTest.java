package io.servicekit.demo.game;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.servicekit.demo.NodeProject;
import io.servicekit.jetty.ServiceKitServer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.json.JsonMapper;

/**
 * Runs {@code src/test/node-grpcws/grpcws-interop.mjs} — the Go library's npm client {@code
 * GRPCWSClient} from {@code @panyam/servicekit-client} 0.0.6, unchanged — against the game demo:
 * server streaming, client streaming, bidi, a protojson error and cancel. Node and npm must be on
 * the {@code PATH} (the test fails without them; CI has them); Node 20+ uses its own WebSocket.
 */
class NodeGrpcWsInteropTest {
  private static final Duration SCRIPT_TIMEOUT = Duration.ofSeconds(90);
  private static final JsonMapper JSON = JsonMapper.builder().build();

  private static NodeProject project;

  @BeforeAll
  static void installDependencies() throws Exception {
    project = NodeProject.installed("node-grpcws", "@panyam/servicekit-client");
  }

  private static int nodeMajor() throws Exception {
    String version = project.node(Duration.ofSeconds(30), "--version").stdout().strip();
    Matcher m = Pattern.compile("v(\\d+)\\.").matcher(version);
    assertThat(m.lookingAt()).as("node --version printed %s", version).isTrue();
    return Integer.parseInt(m.group(1));
  }

  @Test
  @SuppressWarnings("unchecked")
  void theGoLibrarysNpmClientTalksToTheGameDemoUnchanged() throws Exception {
    GameDemo game = new GameDemo();
    try (ServiceKitServer server =
        game.routes(ServiceKitServer.builder().port(0)).build().start()) {
      int major = nodeMajor();
      // Node 22+ has a WebSocket like the browsers'; 20 and 21 need the flag; older Node gets ws
      List<String> args = new ArrayList<>();
      if (major == 20 || major == 21) {
        args.add("--experimental-websocket");
      }
      args.add("grpcws-interop.mjs");
      args.add(server.uri().toString());
      NodeProject.Result result = project.node(SCRIPT_TIMEOUT, args.toArray(String[]::new));
      assertThat(result.exit()).as("grpcws-interop.mjs failed:%n%s", result.output()).isZero();
      Map<String, Object> summary = JSON.readValue(result.lastLine(), Map.class);
      assertThat(summary).containsEntry("ok", true).containsEntry("client", "0.0.6");
      assertThat(summary).containsEntry("nativeWebSocket", major >= 20);
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
