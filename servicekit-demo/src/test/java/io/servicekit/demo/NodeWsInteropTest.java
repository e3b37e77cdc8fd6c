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
 * Runs {@code src/test/node/ws-interop.mjs} (and {@code ws-deflate.mjs}, below) — the Node {@code
 * ws} client — against the demo server: echo (text, binary, 1 MiB, protocol ping), chat between two
 * clients, the JSON heartbeat answered by the client, and the close handshake. {@code node} and
 * {@code npm} must be on the {@code PATH}: without them the test fails (it does not skip), because
 * CI has them. The npm dependencies are installed with {@code npm ci} from the committed lock file
 * when {@code node_modules} is missing.
 */
class NodeWsInteropTest {
  private static final Duration SCRIPT_TIMEOUT = Duration.ofSeconds(120);
  private static final JsonMapper JSON = JsonMapper.builder().build();

  private static NodeProject project;

  /** Installs the locked npm dependencies if they are missing (a fresh clone). */
  @BeforeAll
  static void installDependencies() throws Exception {
    project = NodeProject.installed("node", "ws");
  }

  @Test
  void nodeWsClientInteroperatesWithTheDemoServer() throws Exception {
    // A short heartbeat, so that the script sees (and answers) server JSON pings.
    try (ServiceKitServer server = DemoServer.create(0, Duration.ofMillis(200)).start()) {
      Map<String, Object> summary =
          run(
              "ws-interop.mjs",
              List.of(server.uri().toString(), "--expect-heartbeat"),
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
      assertThat(summary.get("ws")).asString().startsWith("8.");
    }
  }

  /**
   * The Node {@code ws} client with {@code perMessageDeflate} against the demo's {@code /echo}
   * ({@code ws-deflate.mjs}): negotiation with and without context takeover (the answer header
   * checked), text and binary echoes compressed on the wire, an offer the server cannot honour
   * declined, and a decompression bomb closed with 1009.
   */
  @Test
  void nodeWsWithPerMessageDeflateInteroperatesWithTheCompressedEcho() throws Exception {
    try (ServiceKitServer server = DemoServer.create(0).start()) {
      Map<String, Object> summary =
          run(
              "ws-deflate.mjs",
              List.of(server.uri().toString()),
              "takeover: permessage-deflate negotiated",
              "takeover: small text round trip",
              "takeover: 1 MiB chat-like text is smaller on the wire",
              "takeover: 1 MiB random binary round trip",
              "takeover: a repeated message costs little",
              "no takeover: both parameters answered",
              "no takeover: a repeated message costs the same",
              "server_max_window_bits=10: declined, echo uncompressed",
              "bomb: zeros past the limit, small on the wire -> 1009");
      System.out.println("ws-deflate.mjs: " + JSON.writeValueAsString(summary));
    }
  }

  /** Runs {@code script}; asserts it passed exactly the {@code expected} checks; its summary. */
  @SuppressWarnings("unchecked")
  private static Map<String, Object> run(String script, List<String> args, String... expected)
      throws Exception {
    List<String> all = new java.util.ArrayList<>(List.of(script));
    all.addAll(args);
    NodeProject.Result result = project.node(SCRIPT_TIMEOUT, all.toArray(String[]::new));
    assertThat(result.exit()).as("%s failed:%n%s", script, result.output()).isZero();
    Map<String, Object> summary = JSON.readValue(result.lastLine(), Map.class);
    assertThat(summary).containsEntry("ok", true);
    List<Map<String, Object>> checks = (List<Map<String, Object>>) summary.get("checks");
    assertThat(checks).extracting(c -> c.get("name")).containsExactly((Object[]) expected);
    assertThat(checks).allSatisfy(c -> assertThat(c).as(c.toString()).containsEntry("ok", true));
    return summary;
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
