package io.servicekit.demo.mcp;

import io.servicekit.mcp.McpContext;
import io.servicekit.mcp.McpEndpoint;
import io.servicekit.mcp.McpInput;
import io.servicekit.mcp.McpJson;
import io.servicekit.mcp.McpServer;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * The demo's tools that ask the client for input, the list-change triggers and the header-mirrored
 * tool: the fixtures the MCP conformance suite's 2026-07-28 scenarios call. Each is written once
 * with {@link McpContext#input}: a 2025-11-25 client gets an elicitation/sampling/roots request on
 * the call's stream, a 2026-07-28 client an {@code input_required} result it answers by retrying.
 */
final class McpInputFixtures {
  private McpInputFixtures() {}

  /**
   * Adds the fixtures; {@code transport} gives the transport once it exists (null: no list
   * changes).
   */
  static McpServer.Builder register(McpServer.Builder b, Supplier<McpEndpoint> transport) {
    return b.tool(
            "test_input_required_result_elicitation",
            "Asks the user's name (key user_name) and greets them",
            empty(),
            (ctx, args) -> {
              JsonNode answer = ctx.input("user_name", askName("What is your name?"));
              return text("Hello, " + answer.path("content").path("name").asString("?") + "!");
            })
        .tool(
            "test_input_required_result_sampling",
            "Asks the client's model a question (key capital_question)",
            empty(),
            (ctx, args) -> {
              JsonNode answer =
                  ctx.input("capital_question", sample("What is the capital of France?", 100));
              return text("Sampling response: " + answer.path("content").path("text").asString(""));
            })
        .tool(
            "test_input_required_result_list_roots",
            "Asks for the client's roots (key client_roots)",
            empty(),
            (ctx, args) -> {
              JsonNode answer = ctx.input("client_roots", McpInput.roots());
              return text("Client roots: " + answer.path("roots"));
            })
        .tool(
            "test_input_required_result_request_state",
            "Asks for a confirmation; the round trip's requestState is sealed by the server",
            empty(),
            (ctx, args) -> {
              JsonNode answer = ctx.input("confirm", confirm("Please confirm"));
              return text("state-ok: confirmed=" + answer.path("content").path("ok"));
            })
        .tool(
            "test_input_required_result_multiple_inputs",
            "Asks three things at once: user_name, greeting, client_roots",
            empty(),
            (ctx, args) -> {
              Map<String, McpInput> ask = new LinkedHashMap<>();
              ask.put("user_name", askName("What is your name?"));
              ask.put("greeting", sample("Generate a greeting", 50));
              ask.put("client_roots", McpInput.roots());
              Map<String, JsonNode> got = ctx.inputs(ask);
              return text(
                  "name="
                      + got.get("user_name").path("content").path("name").asString("")
                      + ", greeting="
                      + got.get("greeting").path("content").path("text").asString("")
                      + ", roots="
                      + got.get("client_roots").path("roots").size());
            })
        .tool(
            "test_input_required_result_multi_round",
            "Asks step1 (a name), then step2 (a colour), one round each",
            empty(),
            (ctx, args) -> {
              JsonNode name = ctx.input("step1", askName("Step 1: What is your name?"));
              ObjectNode colour = McpJson.object().put("type", "object");
              colour.putObject("properties").putObject("color").put("type", "string");
              colour.putArray("required").add("color");
              JsonNode color =
                  ctx.input(
                      "step2", McpInput.elicit("Step 2: What is your favorite color?", colour));
              return text(
                  name.path("content").path("name").asString("")
                      + " likes "
                      + color.path("content").path("color").asString(""));
            })
        .tool(
            "test_input_required_result_tampered_state",
            "Asks for a confirmation; a changed requestState is refused",
            empty(),
            (ctx, args) -> {
              ctx.input("confirm", confirm("Please confirm"));
              return text("state verified");
            })
        .tool(
            "test_input_required_result_capabilities",
            "Asks only for what the client declared (sampling, elicitation)",
            empty(),
            (ctx, args) -> {
              Map<String, McpInput> ask = new LinkedHashMap<>();
              if (ctx.clientSupports("sampling")) {
                ask.put("sample", sample("Say hello", 20));
              }
              if (ctx.clientSupports("elicitation")) {
                ask.put("user_name", askName("What is your name?"));
              }
              if (ask.isEmpty()) {
                return text("the client declared neither sampling nor elicitation");
              }
              return text("answered: " + ctx.inputs(ask).keySet());
            })
        .tool(
            "test_missing_capability",
            "Needs the client's sampling capability (refused with -32021 without it)",
            empty(),
            (ctx, args) -> {
              JsonNode answer = ctx.input("sample", sample("Say hello", 20));
              return text("sampled: " + answer.path("content").path("text").asString(""));
            })
        .tool(
            "test_streaming_elicitation",
            "Reports progress, then asks a question: the stream carries no server request",
            empty(),
            (ctx, args) -> {
              ctx.progress(0, 1.0, "asking");
              JsonNode answer = ctx.input("confirm", confirm("Continue?"));
              return text("answered: " + answer.path("action").asString(""));
            })
        .tool(
            "test_logging_tool",
            "Logs three messages (sent only when the request asks for a log level)",
            empty(),
            (ctx, args) -> {
              ctx.log("info", "servicekit-demo", "logging tool started");
              ctx.log("info", "servicekit-demo", "logging tool working");
              ctx.log("info", "servicekit-demo", "logging tool done");
              return text("logging tool done");
            })
        .tool(
            "test_trigger_tool_change",
            "Announces a tool list change to listeners",
            empty(),
            (ctx, args) -> {
              McpEndpoint t = transport.get();
              if (t != null) {
                t.toolsListChanged();
              }
              return text("tools/list_changed sent");
            })
        .tool(
            "test_trigger_prompt_change",
            "Announces a prompt list change to listeners",
            empty(),
            (ctx, args) -> {
              McpEndpoint t = transport.get();
              if (t != null) {
                t.promptsListChanged();
              }
              return text("prompts/list_changed sent");
            })
        .tool(
            "test_custom_header",
            "A tool whose region argument is mirrored into the Mcp-Param-Region header",
            McpJson.parse(
                """
                {"type":"object","properties":{
                   "region":{"type":"string","description":"A region","x-mcp-header":"Region"},
                   "query":{"type":"string","description":"Not mirrored"}},
                 "required":["region"]}"""),
            (ctx, args) -> text("region=" + args.path("region").asString("")))
        .prompt(
            "test_input_required_result_prompt",
            "A prompt that asks the user for its context first (key user_context)",
            List.of(),
            (ctx, args) -> {
              ObjectNode schema = McpJson.object().put("type", "object");
              schema.putObject("properties").putObject("context").put("type", "string");
              schema.putArray("required").add("context");
              JsonNode answer =
                  ctx.input(
                      "user_context",
                      McpInput.elicit("What context should the prompt use?", schema));
              return McpJson.promptResult(
                  null,
                  McpJson.message(
                      "user",
                      McpJson.text(
                          "Context: " + answer.path("content").path("context").asString(""))));
            });
  }

  private static McpInput askName(String message) {
    ObjectNode schema = McpJson.object().put("type", "object");
    schema.putObject("properties").putObject("name").put("type", "string");
    schema.putArray("required").add("name");
    return McpInput.elicit(message, schema);
  }

  private static McpInput confirm(String message) {
    ObjectNode schema = McpJson.object().put("type", "object");
    schema.putObject("properties").putObject("ok").put("type", "boolean");
    schema.putArray("required").add("ok");
    return McpInput.elicit(message, schema);
  }

  private static McpInput sample(String question, int maxTokens) {
    ObjectNode p = McpJson.object();
    p.putArray("messages").add(McpJson.message("user", McpJson.text(question)));
    p.put("maxTokens", maxTokens);
    return McpInput.sample(p);
  }

  private static ObjectNode empty() {
    ObjectNode s = McpJson.object().put("type", "object");
    s.putObject("properties");
    return s;
  }

  private static JsonNode text(String text) {
    return McpJson.toolResult(McpJson.text(text));
  }
}
