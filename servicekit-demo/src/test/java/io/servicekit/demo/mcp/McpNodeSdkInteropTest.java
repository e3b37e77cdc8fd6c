package io.servicekit.demo.mcp;

import static org.assertj.core.api.Assertions.assertThat;

import io.servicekit.demo.DemoServer;
import io.servicekit.demo.NodeProject;
import io.servicekit.jetty.ServiceKitServer;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.json.JsonMapper;

/**
 * Runs {@code src/test/node-mcp/mcp-interop.mjs} — the official MCP TypeScript SDK client ({@code
 * @modelcontextprotocol/sdk}, locked) — against the demo's {@code /mcp}: initialize, list and call
 * tools with log and progress notifications on the POST stream, a sampling request, resumption
 * after the server closed the stream mid-call, and termination with DELETE.
 */
class McpNodeSdkInteropTest {
  private static final JsonMapper JSON = JsonMapper.builder().build();
  private static NodeProject project;

  @BeforeAll
  static void installDependencies() throws Exception {
    project = NodeProject.installed("node-mcp", "@modelcontextprotocol/sdk");
  }

  @Test
  @SuppressWarnings("unchecked")
  void typescriptSdkClientWorksWithTheDemo() throws Exception {
    try (ServiceKitServer server = DemoServer.create(0).start()) {
      NodeProject.Result result =
          project.node(
              Duration.ofMinutes(2),
              "mcp-interop.mjs",
              "http://localhost:" + server.port() + McpDemo.PATH);
      assertThat(result.exit()).as("mcp-interop.mjs failed:%n%s", result.output()).isZero();
      Map<String, Object> summary = JSON.readValue(result.lastLine(), Map.class);
      assertThat(summary).containsEntry("ok", true);
      assertThat(summary.get("sdk")).isEqualTo("1.32.2");
      List<Map<String, Object>> checks = (List<Map<String, Object>>) summary.get("checks");
      assertThat(checks).extracting(c -> c.get("name")).hasSize(10);
      assertThat(checks).allSatisfy(c -> assertThat(c).as(c.toString()).containsEntry("ok", true));
    }
  }
}
