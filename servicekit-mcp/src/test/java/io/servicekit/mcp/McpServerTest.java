package io.servicekit.mcp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

/** Builder validation and dispatch of {@link McpServer}, without HTTP. */
class McpServerTest {
  private static final JsonNode OBJECT = McpJson.parse("{\"type\":\"object\"}");

  @Test
  void anErrorWithoutMessageIsRefusedWhereItIsMade() {
    // JSON-RPC 2.0 requires error.message to be a string: a null would reach the client as
    // "message": null, so the constructor refuses it and names the rule.
    assertThatThrownBy(() -> new McpError(McpError.INTERNAL_ERROR, null))
        .isInstanceOf(NullPointerException.class)
        .hasMessageContaining("message (JSON-RPC requires an error message string)");
    assertThat(new McpError(McpError.INTERNAL_ERROR, "boom").getMessage()).isEqualTo("boom");
  }

  @Test
  void builderRejectsBadDefinitionsWithClearMessages() {
    McpServer.Builder b = McpServer.builder("s", "1");
    assertThatThrownBy(() -> b.tool("t", "d", McpJson.parse("[]"), (c, a) -> null))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("tool t: inputSchema must be a JSON object");
    b.tool("t", "d", OBJECT, (c, a) -> McpJson.toolResult());
    assertThatThrownBy(() -> b.tool("t", "d", OBJECT, (c, a) -> null))
        .hasMessageContaining("duplicate tool: t");
    assertThatThrownBy(() -> b.request("tools/call", (c, p) -> null))
        .hasMessageContaining("method tools/call is answered by ServiceKit");
    assertThatThrownBy(() -> b.resourceTemplate("x://plain", "n", "d", null, (c, u, v) -> null))
        .hasMessageContaining("resource template has no {variable}: x://plain");
  }

  @Test
  void dispatchesFeaturesAndNamesUnknownOnes() throws Exception {
    McpServer server =
        McpServer.builder("s", "1")
            .tool(
                "boom",
                "fails",
                OBJECT,
                (c, a) -> {
                  throw new IllegalStateException("kaput");
                })
            .resourceTemplate(
                "x://items/{id}/v/{v}",
                "item",
                "d",
                "text/plain",
                (c, uri, vars) ->
                    McpJson.readResult(
                        McpJson.textContents(
                            uri, "text/plain", vars.get("id") + "/" + vars.get("v"))))
            .prompt(
                "p",
                "d",
                List.of(new McpServer.PromptArgument("a", "needed", true)),
                (c, args) -> McpJson.promptResult(null))
            .request("custom/echo", (c, p) -> p)
            .build();
    JsonNode error = server.dispatch(null, "tools/call", McpJson.parse("{\"name\":\"boom\"}"));
    assertThat(error.path("isError").asBoolean()).isTrue();
    assertThat(error.toString()).doesNotContain("kaput").contains("failed (error id ");
    JsonNode read =
        server.dispatch(null, "resources/read", McpJson.parse("{\"uri\":\"x://items/7/v/2\"}"));
    assertThat(read.path("contents").get(0).path("text").asString()).isEqualTo("7/2");
    assertThatThrownBy(
            () -> server.dispatch(null, "resources/read", McpJson.parse("{\"uri\":\"x://no\"}")))
        .isInstanceOfSatisfying(
            McpError.class, e -> assertThat(e.code()).isEqualTo(McpError.RESOURCE_NOT_FOUND));
    assertThatThrownBy(
            () -> server.dispatch(null, "prompts/get", McpJson.parse("{\"name\":\"p\"}")))
        .isInstanceOfSatisfying(
            McpError.class,
            e -> {
              assertThat(e.code()).isEqualTo(McpError.INVALID_PARAMS);
              assertThat(e.getMessage()).contains("needs argument 'a'");
            });
    assertThatThrownBy(() -> server.dispatch(null, "tools/call", McpJson.parse("{}")))
        .hasMessageContaining("params.name must be a string");
    assertThatThrownBy(() -> server.dispatch(null, "nope", null))
        .isInstanceOfSatisfying(
            McpError.class, e -> assertThat(e.code()).isEqualTo(McpError.METHOD_NOT_FOUND));
    assertThat(server.dispatch(null, "custom/echo", McpJson.parse("{\"x\":1}")).path("x").asInt())
        .isEqualTo(1);
    JsonNode init = server.initializeResult("2025-06-18");
    assertThat(init.path("capabilities").has("tools")).isTrue();
    assertThat(init.path("capabilities").has("completions")).isFalse();
    assertThat(init.path("capabilities").path("logging").isObject()).isTrue();
  }
}
