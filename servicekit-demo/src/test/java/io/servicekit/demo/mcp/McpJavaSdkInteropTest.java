package io.servicekit.demo.mcp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.modelcontextprotocol.client.McpClient;
import io.modelcontextprotocol.client.McpSyncClient;
import io.modelcontextprotocol.client.transport.HttpClientStreamableHttpTransport;
import io.modelcontextprotocol.spec.McpSchema;
import io.servicekit.jetty.ServiceKitServer;
import io.servicekit.jetty.StreamableServe;
import io.servicekit.mcp.McpEndpoint;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

/**
 * The official MCP Java SDK client ({@code io.modelcontextprotocol.sdk:mcp} 2.2.0, its {@link
 * HttpClientStreamableHttpTransport}) against the demo's {@code /mcp}: initialize, list and call
 * tools with log and progress notifications on the POST stream (after 2025-11-25 priming events,
 * which the SDK skips), sampling, and termination (closing the client sends DELETE). Resumption is
 * not checked with this client: see the comment in the test and docs/mcp.md.
 */
class McpJavaSdkInteropTest {
  private static final Duration WAIT = Duration.ofSeconds(30);

  private static String text(McpSchema.CallToolResult result) {
    return ((McpSchema.TextContent) result.content().get(0)).text();
  }

  private static McpSchema.CallToolRequest.Builder call(String tool, Map<String, Object> args) {
    return McpSchema.CallToolRequest.builder(tool).arguments(args);
  }

  @Test
  // Sampling is deprecated from revision 2026-07-28 on (SEP-2577) and so is the SDK's
  // ClientCapabilities.Builder.sampling() since 2.2.0; on 2025-11-25, tested here, it is current.
  @SuppressWarnings("deprecation")
  void javaSdkClientWorksWithTheDemo() throws Exception {
    McpEndpoint mcp = McpEndpoint.builder(McpDemo.server()).build();
    try (ServiceKitServer server =
        ServiceKitServer.builder()
            .port(0)
            .route(McpDemo.PATH, StreamableServe.handler(mcp))
            .build()
            .start()) {
      String base = "http://localhost:" + server.port();
      List<String> logs = new CopyOnWriteArrayList<>();
      List<Double> progress = new CopyOnWriteArrayList<>();
      HttpClientStreamableHttpTransport transport =
          HttpClientStreamableHttpTransport.builder(base)
              .endpoint(McpDemo.PATH)
              .resumableStreams(true)
              .build();
      McpSyncClient client =
          McpClient.sync(transport)
              .requestTimeout(WAIT)
              .capabilities(McpSchema.ClientCapabilities.builder().sampling().build())
              .sampling(
                  request ->
                      McpSchema.CreateMessageResult.builder(
                              McpSchema.Role.ASSISTANT, "java: sampled", "java-model")
                          .build())
              .loggingConsumer(n -> logs.add(String.valueOf(n.data())))
              .progressConsumer(n -> progress.add(n.progress()))
              .build();
      try {
        McpSchema.InitializeResult init = client.initialize();
        assertThat(init.protocolVersion()).isIn("2025-11-25", "2025-06-18", "2025-03-26");
        assertThat(init.serverInfo().name()).isEqualTo("servicekit-mcp-demo");

        List<String> names = client.listTools().tools().stream().map(McpSchema.Tool::name).toList();
        assertThat(names).contains("test_simple_text", "test_tool_with_logging");

        assertThat(text(client.callTool(call("test_simple_text", Map.of()).build())))
            .isEqualTo("This is a simple text response for testing.");

        client.callTool(call("test_tool_with_logging", Map.of()).build());
        await()
            .atMost(WAIT)
            .untilAsserted(
                () ->
                    assertThat(logs)
                        .containsExactly(
                            "Tool execution started",
                            "Tool processing data",
                            "Tool execution completed"));

        client.callTool(call("test_tool_with_progress", Map.of()).progressToken("java-1").build());
        await()
            .atMost(WAIT)
            .untilAsserted(() -> assertThat(progress).containsExactly(0.0, 50.0, 100.0));

        assertThat(text(client.callTool(call("test_sampling", Map.of("prompt", "hi")).build())))
            .isEqualTo("LLM response: java: sampled");

        // Not test_reconnection: SDK 2.1.0 did not re-GET a POST stream that the server closed
        // before the response (SEP-1699 polling; it logged the priming events and waited until its
        // request timed out); not re-checked with 2.2.0. The TypeScript SDK and the conformance
        // suite cover resumption.
        assertThat(mcp.sessionCount()).isEqualTo(1);
      } finally {
        assertThat(client.closeGracefully()).isTrue();
      }
      // closing sent DELETE: the session is gone
      await().atMost(WAIT).until(() -> mcp.sessionCount() == 0);
    }
  }
}
