package io.servicekit.demo.mcp;

import static org.assertj.core.api.Assertions.assertThat;

import io.servicekit.demo.DemoServer;
import io.servicekit.demo.NodeProject;
import io.servicekit.jetty.ServiceKitServer;
import io.servicekit.jetty.StreamableServe;
import io.servicekit.mcp.McpEndpoint;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import tools.jackson.databind.json.JsonMapper;

/**
 * Runs {@code src/test/node-mcp-modern/mcp-modern.mjs} — the official MCP TypeScript client 2.x
 * ({@code @modelcontextprotocol/client}, locked) — against the demo's {@code /mcp} on revision
 * 2026-07-28, once with version negotiation pinned to that revision and once automatic (probe with
 * {@code server/discover}, fall back to {@code initialize} on a legacy answer). Each run discovers,
 * lists and calls tools, reads a resource, answers {@code input_required} round trips with its
 * elicitation handler, and receives {@code notifications/tools/list_changed} on a {@code
 * subscriptions/listen} stream. The script records every HTTP exchange; the test checks that the
 * client spoke only 2026-07-28 (no {@code initialize}, no session) in both modes.
 *
 * <p>The automatic mode's fallback is checked too, against the demo behind a front that refuses
 * every 2026-07-28 request the way a server of the previous generation does (400 with a JSON-RPC
 * error the client does not know as a 2026 one): the client must fall back to {@code initialize}
 * and do the same work on 2025-11-25 with the same handlers (the elicitation comes as a server
 * request on the call's stream, the list change on the session's GET stream).
 */
class McpNodeModernInteropTest {
  private static final JsonMapper JSON = JsonMapper.builder().build();
  private static NodeProject project;

  /**
   * What a legacy-only server (e.g. one on the TypeScript SDK 1.x) answers a request without a
   * session that is not {@code initialize}.
   */
  static final String LEGACY_REFUSAL =
      "{\"jsonrpc\":\"2.0\",\"error\":{\"code\":-32000,"
          + "\"message\":\"Bad Request: Server not initialized\"},\"id\":null}";

  @BeforeAll
  static void installDependencies() throws Exception {
    project = NodeProject.installed("node-mcp-modern", "@modelcontextprotocol/client");
  }

  @ParameterizedTest(name = "versionNegotiation {0}")
  @ValueSource(strings = {"pin", "auto"})
  @SuppressWarnings("unchecked")
  void typescriptClientSpeaksTheStatelessRevision(String mode) throws Exception {
    try (ServiceKitServer server = DemoServer.create(0).start()) {
      NodeProject.Result result = run(mode, "http://localhost:" + server.port() + McpDemo.PATH);
      assertThat(result.exit()).as("mcp-modern.mjs %s failed:%n%s", mode, result.output()).isZero();
      Map<String, Object> summary = JSON.readValue(result.lastLine(), Map.class);
      assertThat(summary)
          .as(result.output())
          .containsEntry("ok", true)
          .containsEntry("sdk", "2.4.0")
          .containsEntry("mode", mode)
          .containsEntry("era", "modern")
          .containsEntry("protocolVersion", "2026-07-28");
      List<Map<String, Object>> checks = checks(summary);
      assertThat(checks)
          .extracting(c -> c.get("name"))
          .contains(
              "input_required: elicitation answered by the handler, retried, greeted",
              "listen: notifications/tools/list_changed received")
          .hasSize(15);
      List<Map<String, Object>> wire = (List<Map<String, Object>>) summary.get("wire");
      assertThat(wire.get(0)).containsEntry("method", "server/discover");
      assertThat(wire)
          .extracting(w -> w.get("method"))
          .doesNotContain("initialize", "notifications/initialized");
      assertThat(wire).allSatisfy(w -> assertThat(w).containsEntry("version", "2026-07-28"));
      System.out.printf(
          "MCP TypeScript client %s, versionNegotiation %s: revision %s, %d HTTP requests, %d"
              + " checks passed%n",
          summary.get("sdk"), mode, summary.get("protocolVersion"), wire.size(), checks.size());
    }
  }

  @Test
  @SuppressWarnings("unchecked")
  void automaticNegotiationFallsBackToInitializeOnALegacyOnlyEndpoint() throws Exception {
    McpEndpoint[] holder = new McpEndpoint[1];
    McpEndpoint mcp = McpEndpoint.builder(McpDemo.server(() -> holder[0])).build();
    holder[0] = mcp;
    try (ServiceKitServer server =
        ServiceKitServer.builder()
            .port(0)
            .route(McpDemo.PATH, new LegacyOnly(StreamableServe.handler(mcp)))
            .build()
            .start()) {
      NodeProject.Result result =
          run("auto-legacy", "http://localhost:" + server.port() + McpDemo.PATH);
      assertThat(result.exit())
          .as("mcp-modern.mjs auto-legacy failed:%n%s", result.output())
          .isZero();
      Map<String, Object> summary = JSON.readValue(result.lastLine(), Map.class);
      assertThat(summary)
          .as(result.output())
          .containsEntry("ok", true)
          .containsEntry("mode", "auto-legacy")
          .containsEntry("era", "legacy")
          .containsEntry("protocolVersion", "2025-11-25");
      List<Map<String, Object>> checks = checks(summary);
      assertThat(checks)
          .extracting(c -> c.get("name"))
          .contains(
              "connect: server/discover refused with 400, then initialize without the 2026 header",
              "elicitation/create on the call stream answered by the handler, greeted",
              "GET stream: notifications/tools/list_changed received")
          .hasSize(13);
      List<Map<String, Object>> wire = (List<Map<String, Object>>) summary.get("wire");
      assertThat(wire.get(0))
          .containsEntry("method", "server/discover")
          .containsEntry("status", 400);
      assertThat(wire.get(1)).containsEntry("method", "initialize");
      System.out.printf(
          "MCP TypeScript client %s, versionNegotiation auto on a legacy-only endpoint: fell back"
              + " to %s, %d HTTP requests, %d checks passed%n",
          summary.get("sdk"), summary.get("protocolVersion"), wire.size(), checks.size());
    }
  }

  /** Runs the script; its output is kept as {@code target/node-logs/node-mcp-modern/<mode>.*}. */
  private static NodeProject.Result run(String mode, String url) throws Exception {
    return project.run(
        Duration.ofMinutes(2),
        "mcp-modern-" + mode,
        List.of(NodeProject.onPath("node"), "mcp-modern.mjs", url, mode));
  }

  @SuppressWarnings("unchecked")
  private static List<Map<String, Object>> checks(Map<String, Object> summary) {
    List<Map<String, Object>> checks = (List<Map<String, Object>>) summary.get("checks");
    assertThat(checks).allSatisfy(c -> assertThat(c).as(c.toString()).containsEntry("ok", true));
    return checks;
  }

  /**
   * Refuses 2026-07-28 requests (header {@code MCP-Protocol-Version: 2026-07-28}) as a legacy-only
   * server does, passes everything else to the demo's endpoint.
   */
  private static final class LegacyOnly extends Handler.Wrapper {
    LegacyOnly(Handler next) {
      super(next);
    }

    @Override
    public boolean handle(Request request, Response response, Callback callback) throws Exception {
      if ("POST".equals(request.getMethod())
          && "2026-07-28".equals(request.getHeaders().get("MCP-Protocol-Version"))) {
        response.setStatus(400);
        response.getHeaders().put(HttpHeader.CONTENT_TYPE, "application/json");
        Content.Sink.write(response, true, LEGACY_REFUSAL, callback);
        return true;
      }
      return super.handle(request, response, callback);
    }
  }
}
