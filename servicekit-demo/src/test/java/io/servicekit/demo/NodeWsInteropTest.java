package io.servicekit.demo;

import static org.assertj.core.api.Assertions.assertThat;

import io.servicekit.jetty.ServiceKitServer;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.json.JsonMapper;

/**
 * Runs {@code src/test/node/ws-interop.mjs} — the Node {@code ws} client — against the demo server:
 * echo (text, binary, 1 MiB, protocol ping), chat between two clients, the JSON heartbeat answered
 * by the client, and the close handshake. {@code node} and {@code npm} must be on the {@code PATH}:
 * without them the test fails (it does not skip), because CI has them. The npm dependencies are
 * installed with {@code npm ci} from the committed lock file when {@code node_modules} is missing.
 */
class NodeWsInteropTest {
  private static final Duration SCRIPT_TIMEOUT = Duration.ofSeconds(60);
  private static final JsonMapper JSON = JsonMapper.builder().build();

  private static NodeProject project;

  /** Installs the locked npm dependencies if they are missing (a fresh clone). */
  @BeforeAll
  static void installDependencies() throws Exception {
    project = NodeProject.installed("node", "ws");
  }

  @Test
  @SuppressWarnings("unchecked")
  void nodeWsClientInteroperatesWithTheDemoServer() throws Exception {
    // A short heartbeat, so that the script sees (and answers) server JSON pings.
    try (ServiceKitServer server = DemoServer.create(0, Duration.ofMillis(200)).start()) {
      NodeProject.Result result =
          project.node(
              SCRIPT_TIMEOUT, "ws-interop.mjs", server.uri().toString(), "--expect-heartbeat");
      assertThat(result.exit()).as("ws-interop.mjs failed:%n%s", result.output()).isZero();
      Map<String, Object> summary = JSON.readValue(result.lastLine(), Map.class);
      assertThat(summary).containsEntry("ok", true);
      assertThat(summary.get("ws")).asString().startsWith("8.");
      List<Map<String, Object>> checks = (List<Map<String, Object>>) summary.get("checks");
      assertThat(checks)
          .extracting(c -> c.get("name"))
          .containsExactly(
              "echo: connect",
              "echo: text round trip",
              "echo: binary round trip",
              "echo: 1 MiB binary round trip",
              "echo: protocol ping -> pong",
              "echo: close 1000 -> 1000",
              "chat: two clients welcomed",
              "chat: message delivered to the room",
              "chat: client ping -> pong",
              "chat: server JSON ping answered and absorbed",
              "chat: close 1000 -> 1000, user_left to the room");
      assertThat(checks).allSatisfy(c -> assertThat(c).as(c.toString()).containsEntry("ok", true));
    }
  }

  @Test
  void scriptFailsWhenTheServerIsAbsent() throws Exception {
    // Port 1 on loopback: nothing listens there, so every check must fail and the exit be 1.
    NodeProject.Result result =
        project.node(SCRIPT_TIMEOUT, "ws-interop.mjs", "http://127.0.0.1:1");
    assertThat(result.exit()).as(result.output()).isEqualTo(1);
    assertThat(result.stdout()).as(result.output()).contains("\"ok\":false");
  }
}
