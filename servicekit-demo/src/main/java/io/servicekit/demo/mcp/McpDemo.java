package io.servicekit.demo.mcp;

import io.servicekit.jetty.ServiceKitServer;
import io.servicekit.jetty.StreamableServe;
import io.servicekit.mcp.McpAuth;
import io.servicekit.mcp.McpContext;
import io.servicekit.mcp.McpEndpoint;
import io.servicekit.mcp.McpError;
import io.servicekit.mcp.McpJson;
import io.servicekit.mcp.McpServer;
import io.servicekit.mcp.McpServer.PromptArgument;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * The demo's MCP server at {@code /mcp}: the "everything server" that the official conformance
 * suite ({@code @modelcontextprotocol/conformance}, server mode) expects — its tools, resources,
 * prompts, completion and logging — on ServiceKit's {@link McpEndpoint}. Only local clients are
 * accepted (Host and Origin must be localhost), as the MCP spec asks of a local server.
 */
public final class McpDemo {
  /** The path. */
  public static final String PATH = "/mcp";

  /** A 1x1 red PNG. */
  static final byte[] PNG =
      Base64.getDecoder()
          .decode(
              "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg==");

  /** A short silent WAV (8 kHz, 8-bit mono, 8 samples). */
  static final byte[] WAV = wav(8);

  private static final String LOGGER = "servicekit-demo";

  private McpDemo() {}

  /**
   * Adds {@code /mcp} to {@code routes}, with authorization when the {@code MCP_AUTH_*} environment
   * asks for it ({@link McpDemoAuth}); returns the transport (for notifications).
   */
  public static McpEndpoint routes(ServiceKitServer.Builder routes) {
    return routes(routes, McpDemoAuth.fromEnvironment(System::getenv));
  }

  /**
   * Adds {@code /mcp} to {@code routes}; with {@code auth}, every request needs a bearer token and
   * the protected-resource metadata document is served at {@link McpAuth#metadataPath()}.
   */
  public static McpEndpoint routes(ServiceKitServer.Builder routes, Optional<McpAuth> auth) {
    AtomicReference<McpEndpoint> holder = new AtomicReference<>();
    McpEndpoint.Builder b = McpEndpoint.builder(server(holder::get));
    auth.ifPresent(b::auth);
    McpEndpoint transport = b.build();
    holder.set(transport);
    routes.route(PATH, StreamableServe.handler(transport));
    auth.ifPresent(
        a -> routes.route(a.metadataPath(), StreamableServe.handler(a.metadataHandler())));
    return transport;
  }

  /** The conformance "everything server" (its list-change triggers do nothing). */
  public static McpServer server() {
    return server(() -> null);
  }

  /**
   * The conformance "everything server"; {@code transport} is the transport serving it, told of
   * list changes by the {@code test_trigger_*} tools.
   */
  public static McpServer server(Supplier<McpEndpoint> transport) {
    McpServer.Builder b = McpServer.builder("servicekit-mcp-demo", "1.0.0");
    McpInputFixtures.register(b, transport);
    return b.instructions(
            "ServiceKit's demo MCP server: the tools the MCP conformance suite calls.")
        .listChanged(true)
        .tool(
            "test_simple_text",
            "Returns a simple text",
            emptySchema(),
            (ctx, args) ->
                McpJson.toolResult(McpJson.text("This is a simple text response for testing.")))
        .tool(
            "test_image_content",
            "Returns an image",
            emptySchema(),
            (ctx, args) -> McpJson.toolResult(McpJson.image(PNG, "image/png")))
        .tool(
            "test_audio_content",
            "Returns audio",
            emptySchema(),
            (ctx, args) -> McpJson.toolResult(McpJson.audio(WAV, "audio/wav")))
        .tool(
            "test_embedded_resource",
            "Returns an embedded resource",
            emptySchema(),
            (ctx, args) ->
                McpJson.toolResult(
                    McpJson.embeddedText(
                        "test://embedded-resource",
                        "text/plain",
                        "This is an embedded resource content.")))
        .tool(
            "test_multiple_content_types",
            "Returns text, an image and a resource",
            emptySchema(),
            (ctx, args) ->
                McpJson.toolResult(
                    McpJson.text("Multiple content types test:"),
                    McpJson.image(PNG, "image/png"),
                    McpJson.embeddedText(
                        "test://mixed-content-resource",
                        "application/json",
                        "{\"test\":\"data\",\"value\":123}")))
        .tool(
            "test_tool_with_logging",
            "Logs three messages while it runs",
            emptySchema(),
            (ctx, args) -> {
              ctx.log("info", LOGGER, "Tool execution started");
              pause(50);
              ctx.log("info", LOGGER, "Tool processing data");
              pause(50);
              ctx.log("info", LOGGER, "Tool execution completed");
              return McpJson.toolResult(McpJson.text("Tool with logging executed successfully"));
            })
        .tool(
            "test_tool_with_progress",
            "Reports progress 0, 50, 100 of 100",
            emptySchema(),
            (ctx, args) -> {
              ctx.progress(0, 100.0, null);
              pause(50);
              ctx.progress(50, 100.0, null);
              pause(50);
              ctx.progress(100, 100.0, null);
              return McpJson.toolResult(McpJson.text("Tool with progress executed successfully"));
            })
        .tool(
            "test_error_handling",
            "Always fails",
            emptySchema(),
            (ctx, args) -> {
              throw new IllegalStateException(
                  "This tool intentionally returns an error for testing");
            })
        .tool(
            "test_reconnection",
            "Closes its SSE stream mid-call; the client resumes with Last-Event-ID (SEP-1699)",
            emptySchema(),
            (ctx, args) -> {
              ctx.closeStream();
              pause(100);
              return McpJson.toolResult(McpJson.text("Reconnection test completed"));
            })
        .tool(
            "test_sampling",
            "Asks the client's LLM",
            schema("prompt", "The prompt to send to the LLM"),
            McpDemo::sampling)
        .tool(
            "test_elicitation",
            "Asks the user for input",
            schema("message", "The message to show the user"),
            McpDemo::elicitation)
        .tool(
            "test_elicitation_sep1034_defaults",
            "Elicitation with defaults for every primitive type (SEP-1034)",
            emptySchema(),
            (ctx, args) ->
                elicit(
                    ctx,
                    "Please review and update the form fields with defaults",
                    McpJson.parse(
                        """
                        {"type":"object","properties":{
                          "name":{"type":"string","description":"User name","default":"John Doe"},
                          "age":{"type":"integer","description":"User age","default":30},
                          "score":{"type":"number","description":"User score","default":95.5},
                          "status":{"type":"string","description":"User status",
                                    "enum":["active","inactive","pending"],"default":"active"},
                          "verified":{"type":"boolean","description":"Verified","default":true}
                        }}""")))
        .tool(
            "test_elicitation_sep1330_enums",
            "Elicitation with the five enum schema forms (SEP-1330)",
            emptySchema(),
            (ctx, args) ->
                elicit(
                    ctx,
                    "Please select options from the enum fields",
                    McpJson.parse(
                        """
                        {"type":"object","properties":{
                          "untitledSingle":{"type":"string","enum":["option1","option2","option3"]},
                          "titledSingle":{"type":"string","oneOf":[
                            {"const":"value1","title":"First Option"},
                            {"const":"value2","title":"Second Option"},
                            {"const":"value3","title":"Third Option"}]},
                          "legacyEnum":{"type":"string","enum":["opt1","opt2","opt3"],
                            "enumNames":["Option One","Option Two","Option Three"]},
                          "untitledMulti":{"type":"array","items":
                            {"type":"string","enum":["option1","option2","option3"]}},
                          "titledMulti":{"type":"array","items":{"anyOf":[
                            {"const":"value1","title":"First Choice"},
                            {"const":"value2","title":"Second Choice"},
                            {"const":"value3","title":"Third Choice"}]}}
                        }}""")))
        .tool(
            "json_schema_2020_12_tool",
            "Tool with JSON Schema 2020-12 features",
            McpJson.parse(
                """
                {"$schema":"https://json-schema.org/draft/2020-12/schema","type":"object",
                 "$defs":{"address":{"$anchor":"address","type":"object","properties":{
                   "street":{"type":"string"},"city":{"type":"string"}}}},
                 "properties":{"name":{"type":"string"},"address":{"$ref":"#/$defs/address"},
                   "contact":{"type":"string"}},
                 "allOf":[{"anyOf":[{"required":["name"]},{"required":["address"]}]}],
                 "if":{"properties":{"contact":{"const":"email"}}},
                 "then":{"required":["name"]},
                 "else":{"required":[]},
                 "additionalProperties":false}"""),
            (ctx, args) -> McpJson.toolResult(McpJson.text("Received: " + args)))
        .resource(
            "test://static-text",
            "Static Text Resource",
            "A static text resource for testing",
            "text/plain",
            (ctx, uri, vars) ->
                McpJson.readResult(
                    McpJson.textContents(
                        uri, "text/plain", "This is the content of the static text resource.")))
        .resource(
            "test://static-binary",
            "Static Binary Resource",
            "A static binary resource (image) for testing",
            "image/png",
            (ctx, uri, vars) -> McpJson.readResult(McpJson.blobContents(uri, "image/png", PNG)))
        .resource(
            "test://watched-resource",
            "Watched Resource",
            "A resource that can be subscribed to",
            "text/plain",
            (ctx, uri, vars) ->
                McpJson.readResult(
                    McpJson.textContents(uri, "text/plain", "Watched resource content")))
        .resourceTemplate(
            "test://template/{id}/data",
            "Resource Template",
            "A resource template with parameter substitution",
            "application/json",
            (ctx, uri, vars) -> {
              String id = vars.get("id");
              ObjectNode data =
                  McpJson.object()
                      .put("id", id)
                      .put("templateTest", true)
                      .put("data", "Data for ID: " + id);
              return McpJson.readResult(
                  McpJson.textContents(uri, "application/json", data.toString()));
            })
        .prompt(
            "test_simple_prompt",
            "A simple prompt without arguments",
            List.of(),
            (ctx, args) ->
                McpJson.promptResult(
                    null,
                    McpJson.message("user", McpJson.text("This is a simple prompt for testing."))))
        .prompt(
            "test_prompt_with_arguments",
            "A prompt with required arguments",
            List.of(
                new PromptArgument("arg1", "First test argument", true),
                new PromptArgument("arg2", "Second test argument", true)),
            (ctx, args) ->
                McpJson.promptResult(
                    null,
                    McpJson.message(
                        "user",
                        McpJson.text(
                            "Prompt with arguments: arg1='"
                                + args.get("arg1")
                                + "', arg2='"
                                + args.get("arg2")
                                + "'"))))
        .prompt(
            "test_prompt_with_embedded_resource",
            "A prompt with an embedded resource",
            List.of(new PromptArgument("resourceUri", "URI of the resource to embed", true)),
            (ctx, args) ->
                McpJson.promptResult(
                    null,
                    McpJson.message(
                        "user",
                        McpJson.embeddedText(
                            args.get("resourceUri"),
                            "text/plain",
                            "Embedded resource content for testing.")),
                    McpJson.message(
                        "user", McpJson.text("Please process the embedded resource above."))))
        .prompt(
            "test_prompt_with_image",
            "A prompt with an image",
            List.of(),
            (ctx, args) ->
                McpJson.promptResult(
                    null,
                    McpJson.message("user", McpJson.image(PNG, "image/png")),
                    McpJson.message("user", McpJson.text("Please analyze the image above."))))
        .completion(McpDemo::complete)
        .build();
  }

  private static List<String> complete(McpContext ctx, JsonNode ref, JsonNode argument) {
    String prefix = argument.path("value").asString("");
    return List.of("paris", "park", "party", "test", "testing").stream()
        .filter(v -> v.startsWith(prefix))
        .toList();
  }

  private static JsonNode sampling(McpContext ctx, JsonNode args) throws InterruptedException {
    if (!ctx.clientSupports("sampling")) {
      throw new McpError(McpError.INVALID_REQUEST, "the client does not support sampling");
    }
    ObjectNode params = McpJson.object();
    params
        .putArray("messages")
        .add(McpJson.message("user", McpJson.text(args.path("prompt").asString(""))));
    params.put("maxTokens", 100);
    JsonNode result = ctx.request("sampling/createMessage", params, Duration.ofSeconds(30));
    String text = result.path("content").path("text").asString("");
    return McpJson.toolResult(McpJson.text("LLM response: " + text));
  }

  private static JsonNode elicitation(McpContext ctx, JsonNode args) throws InterruptedException {
    JsonNode schema =
        McpJson.parse(
            """
            {"type":"object","properties":{
              "response":{"type":"string","description":"User's response"}},
             "required":["response"]}""");
    JsonNode result = elicitRaw(ctx, args.path("message").asString(""), schema);
    return McpJson.toolResult(
        McpJson.text(
            "User response: action="
                + result.path("action").asString("")
                + ", content="
                + result.path("content")));
  }

  private static JsonNode elicit(McpContext ctx, String message, JsonNode schema)
      throws InterruptedException {
    JsonNode result = elicitRaw(ctx, message, schema);
    return McpJson.toolResult(
        McpJson.text(
            "Elicitation completed: action="
                + result.path("action").asString("")
                + ", content="
                + result.path("content")));
  }

  private static JsonNode elicitRaw(McpContext ctx, String message, JsonNode schema)
      throws InterruptedException {
    if (!ctx.clientSupports("elicitation")) {
      throw new McpError(McpError.INVALID_REQUEST, "the client does not support elicitation");
    }
    ObjectNode params = McpJson.object().put("message", message);
    params.set("requestedSchema", schema);
    return ctx.request("elicitation/create", params, Duration.ofSeconds(30));
  }

  private static ObjectNode emptySchema() {
    ObjectNode s = McpJson.object().put("type", "object");
    s.putObject("properties");
    return s;
  }

  private static ObjectNode schema(String field, String description) {
    ObjectNode s = McpJson.object().put("type", "object");
    s.putObject("properties")
        .putObject(field)
        .put("type", "string")
        .put("description", description);
    s.putArray("required").add(field);
    return s;
  }

  /** A pause between a tool's notifications (the conformance suite asks for ~50 ms). */
  private static void pause(long millis) throws InterruptedException {
    Thread.sleep(millis);
  }

  private static byte[] wav(int samples) {
    ByteBuffer b = ByteBuffer.allocate(44 + samples).order(ByteOrder.LITTLE_ENDIAN);
    b.put("RIFF".getBytes(java.nio.charset.StandardCharsets.US_ASCII)).putInt(36 + samples);
    b.put("WAVEfmt ".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
    b.putInt(16).putShort((short) 1).putShort((short) 1).putInt(8000).putInt(8000);
    b.putShort((short) 1).putShort((short) 8);
    b.put("data".getBytes(java.nio.charset.StandardCharsets.US_ASCII)).putInt(samples);
    for (int i = 0; i < samples; i++) {
      b.put((byte) 128);
    }
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.writeBytes(b.array());
    return out.toByteArray();
  }
}
