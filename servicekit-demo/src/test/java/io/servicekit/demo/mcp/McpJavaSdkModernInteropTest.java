package io.servicekit.demo.mcp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.modelcontextprotocol.modern.McpSchema;
import io.modelcontextprotocol.modern.client.McpClient;
import io.modelcontextprotocol.modern.client.McpSyncClient;
import io.modelcontextprotocol.modern.client.SubscriptionEvent;
import io.modelcontextprotocol.modern.client.transport.HttpClientMcpTransport;
import io.modelcontextprotocol.modern.client.transport.McpHttpRequestCustomizer;
import io.servicekit.jetty.ServiceKitServer;
import io.servicekit.jetty.StreamableServe;
import io.servicekit.mcp.McpEndpoint;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

/**
 * The official MCP Java SDK's client for the stateless revision 2026-07-28 ({@code
 * io.modelcontextprotocol.sdk:mcp-core} 2.2.0, package {@code io.modelcontextprotocol.modern}, its
 * {@link HttpClientMcpTransport}) against the demo's {@code /mcp}: {@code server/discover}, list
 * and call tools, read a resource, {@code input_required} round trips answered by the client's
 * form-elicitation handler, and {@code notifications/tools/list_changed} on a {@code
 * subscriptions/listen} stream. A request customizer records what goes on the wire: every request
 * carries {@code MCP-Protocol-Version: 2026-07-28} and {@code Mcp-Method}; there is no {@code
 * initialize} and the server keeps no session.
 */
class McpJavaSdkModernInteropTest {
  private static final Duration WAIT = Duration.ofSeconds(30);
  private static final String MODERN = "2026-07-28";

  /** One HTTP request the client sent. */
  record Sent(String mcpMethod, List<String> protocolVersion, List<String> methodHeader) {}

  private static String text(McpSchema.CallToolResult result) {
    assertThat(result.content()).as(result.toString()).isNotEmpty();
    assertThat(result.content().get(0)).isInstanceOf(McpSchema.TextContent.class);
    return ((McpSchema.TextContent) result.content().get(0)).text();
  }

  @Test
  void modernJavaClientSpeaksTheStatelessRevision() throws Exception {
    McpEndpoint[] holder = new McpEndpoint[1];
    McpEndpoint mcp = McpEndpoint.builder(McpDemo.server(() -> holder[0])).build();
    holder[0] = mcp;
    try (ServiceKitServer server =
        ServiceKitServer.builder()
            .port(0)
            .route(McpDemo.PATH, StreamableServe.handler(mcp))
            .build()
            .start()) {
      String url = "http://localhost:" + server.port() + McpDemo.PATH;
      List<Sent> wire = new CopyOnWriteArrayList<>();
      List<String> asked = new CopyOnWriteArrayList<>();
      HttpClientMcpTransport transport =
          HttpClientMcpTransport.builder(url)
              .connectTimeout(WAIT)
              .requestCustomizer(
                  McpHttpRequestCustomizer.fromSync(
                      (request, headers, context) ->
                          wire.add(
                              new Sent(
                                  request.mcpMethod(),
                                  headers.get("MCP-Protocol-Version"),
                                  headers.get("Mcp-Method")))))
              .build();
      McpSyncClient client =
          McpClient.sync(transport)
              .clientInfo(McpSchema.Implementation.builder("servicekit-interop", "1.0.0").build())
              .callTimeout(WAIT)
              .formElicitation(
                  request -> {
                    asked.add(request.message());
                    return McpSchema.ElicitResult.accept(
                        request.message().contains("color")
                            ? Map.of("color", "teal")
                            : Map.of("name", "Ada"));
                  })
              .build();

      McpSchema.DiscoverResult discover = client.discover();
      assertThat(discover.supportedVersions()).contains(MODERN);
      assertThat(discover.resultType()).isEqualTo("complete");
      assertThat(discover.capabilities().tools()).isNotNull();
      assertThat(String.valueOf(discover.meta())).contains("servicekit-mcp-demo");

      List<String> names =
          client.tools().list().tools().stream().map(McpSchema.Tool::name).toList();
      assertThat(names)
          .contains(
              "test_simple_text",
              "test_input_required_result_elicitation",
              "test_trigger_tool_change");

      assertThat(text(client.tool("test_simple_text").arguments(Map.of()).call()))
          .isEqualTo("This is a simple text response for testing.");

      McpSchema.ReadResourceResult read = client.resource("test://static-text").read();
      assertThat(read.contents()).hasSize(1);
      McpSchema.TextResourceContents contents =
          (McpSchema.TextResourceContents) read.contents().get(0);
      assertThat(contents.uri()).isEqualTo("test://static-text");
      assertThat(contents.text()).isEqualTo("This is the content of the static text resource.");

      int before = wire.size();
      assertThat(
              text(
                  client.tool("test_input_required_result_elicitation").arguments(Map.of()).call()))
          .isEqualTo("Hello, Ada!");
      assertThat(asked).containsExactly("What is your name?");
      assertThat(wire.subList(before, wire.size()))
          .as("the first call got input_required, the retry the answer")
          .extracting(Sent::mcpMethod)
          .containsExactly("tools/call", "tools/call");

      assertThat(
              text(
                  client.tool("test_input_required_result_multi_round").arguments(Map.of()).call()))
          .isEqualTo("Ada likes teal");
      assertThat(asked)
          .containsExactly(
              "What is your name?",
              "Step 1: What is your name?",
              "Step 2: What is your favorite color?");

      List<SubscriptionEvent> events = new CopyOnWriteArrayList<>();
      List<Throwable> errors = new CopyOnWriteArrayList<>();
      McpSyncClient.Listening listening =
          client
              .listen()
              .toolsChanged()
              .open(
                  new io.modelcontextprotocol.modern.client.McpSyncSubscriptionListener() {
                    @Override
                    public void onEvent(SubscriptionEvent event) {
                      events.add(event);
                    }

                    @Override
                    public void onError(Throwable error) {
                      errors.add(error);
                    }
                  });
      try {
        await()
            .atMost(WAIT)
            .failFast("the listen stream failed", () -> !errors.isEmpty())
            .untilAsserted(
                () ->
                    assertThat(events)
                        .as("notifications/subscriptions/acknowledged")
                        .anySatisfy(
                            e -> {
                              assertThat(e).isInstanceOf(SubscriptionEvent.Subscribed.class);
                              assertThat(
                                      ((SubscriptionEvent.Subscribed) e)
                                          .honoured()
                                          .wantsToolsListChanged())
                                  .isTrue();
                            }));
        assertThat(text(client.tool("test_trigger_tool_change").arguments(Map.of()).call()))
            .isEqualTo("tools/list_changed sent");
        await()
            .atMost(WAIT)
            .failFast("the listen stream failed", () -> !errors.isEmpty())
            .untilAsserted(
                () ->
                    assertThat(events)
                        .as("notifications/tools/list_changed on the listen stream")
                        .hasAtLeastOneElementOfType(SubscriptionEvent.ToolsListChanged.class));
      } finally {
        listening.close();
      }

      assertThat(wire)
          .extracting(Sent::mcpMethod)
          .doesNotContain("initialize")
          .contains("server/discover", "subscriptions/listen");
      assertThat(wire)
          .allSatisfy(
              s -> {
                assertThat(s.protocolVersion()).as(s.toString()).containsExactly(MODERN);
                assertThat(s.methodHeader()).as(s.toString()).containsExactly(s.mcpMethod());
              });
      assertThat(mcp.sessionCount()).as("the stateless path keeps no session").isZero();
      System.out.printf(
          "MCP Java SDK modern client (mcp-core 2.2.0): revision %s, %d HTTP requests, %d"
              + " elicitations answered, %d listen events%n",
          MODERN, wire.size(), asked.size(), events.size());
    }
  }
}
