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
 * Runs {@code src/test/node/ws-deflate.mjs} — the Node {@code ws} client with {@code
 * perMessageDeflate} — against the demo's {@code /echo}: negotiation with and without context
 * takeover (the answer header checked), text and binary echoes compressed on the wire, an offer the
 * server cannot honour declined, and a decompression bomb closed with 1009. Needs {@code node} and
 * {@code npm} on the {@code PATH}, as {@link NodeWsInteropTest}.
 */
class NodeWsDeflateTest {
  private static final Duration SCRIPT_TIMEOUT = Duration.ofSeconds(120);
  private static final JsonMapper JSON = JsonMapper.builder().build();

  private static NodeProject project;

  @BeforeAll
  static void installDependencies() throws Exception {
    project = NodeProject.installed("node", "ws");
  }

  @Test
  @SuppressWarnings("unchecked")
  void nodeWsWithPerMessageDeflateInteroperatesWithTheCompressedEcho() throws Exception {
    try (ServiceKitServer server = DemoServer.create(0).start()) {
      NodeProject.Result result =
          project.node(SCRIPT_TIMEOUT, "ws-deflate.mjs", server.uri().toString());
      assertThat(result.exit()).as("ws-deflate.mjs failed:%n%s", result.output()).isZero();
      Map<String, Object> summary = JSON.readValue(result.lastLine(), Map.class);
      assertThat(summary).containsEntry("ok", true);
      List<Map<String, Object>> checks = (List<Map<String, Object>>) summary.get("checks");
      assertThat(checks)
          .extracting(c -> c.get("name"))
          .containsExactly(
              "takeover: permessage-deflate negotiated",
              "takeover: small text round trip",
              "takeover: 1 MiB chat-like text is smaller on the wire",
              "takeover: 1 MiB random binary round trip",
              "takeover: a repeated message costs little",
              "no takeover: both parameters answered",
              "no takeover: a repeated message costs the same",
              "server_max_window_bits=10: declined, echo uncompressed",
              "bomb: zeros past the limit, small on the wire -> 1009");
      assertThat(checks).allSatisfy(c -> assertThat(c).as(c.toString()).containsEntry("ok", true));
      System.out.println("ws-deflate.mjs: " + result.lastLine());
    }
  }
}
