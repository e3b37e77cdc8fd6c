package io.servicekit.demo.mcp;

import io.servicekit.OriginPolicy;
import io.servicekit.jetty.ServiceKitServer;
import io.servicekit.jetty.StreamableServe;
import io.servicekit.mcp.McpAuth;
import io.servicekit.mcp.McpEndpoint;
import io.servicekit.mcp.McpError;
import io.servicekit.mcp.McpInput;
import io.servicekit.mcp.McpJson;
import io.servicekit.mcp.McpServer;
import io.servicekit.mcp.McpServer.PromptArgument;
import io.servicekit.mcp.stdio.ContentLengthFraming;
import io.servicekit.sse.MemoryEventStore;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.function.UnaryOperator;
import tools.jackson.databind.JsonNode;

/**
 * The samples quoted by docs/mcp.md (each between {@code [START name]} and {@code [END name]}),
 * exercised by {@code McpExamplesTest}.
 */
public final class McpExamples {
  private McpExamples() {}

  /** A small MCP server: one tool that reports progress and logs, one resource, one prompt. */
  public static McpServer server() {
    // [START server]
    JsonNode schema =
        McpJson.parse(
            """
            {"type":"object","properties":{"city":{"type":"string"}},"required":["city"]}""");
    McpServer server =
        McpServer.builder("weather", "1.0.0")
            .instructions("Ask for the weather of a city.")
            .tool(
                "forecast",
                "The forecast for a city",
                schema,
                (ctx, args) -> {
                  String city = args.path("city").asString();
                  if (city.isBlank()) {
                    throw new McpError(McpError.INVALID_PARAMS, "city must not be blank");
                  }
                  ctx.log("info", "weather", "looking up " + city); // → the POST's SSE stream
                  ctx.progress(1, 2.0, "half way"); // only if the client sent a progressToken
                  return McpJson.toolResult(McpJson.text("Sunny in " + city));
                })
            .resource(
                "weather://cities",
                "Cities",
                "The cities we know",
                "text/plain",
                (ctx, uri, vars) ->
                    McpJson.readResult(McpJson.textContents(uri, "text/plain", "Paris\nOslo")))
            .prompt(
                "plan_trip",
                "Plan a trip",
                List.of(new PromptArgument("city", "Where to", true)),
                (ctx, args) ->
                    McpJson.promptResult(
                        null,
                        McpJson.message("user", McpJson.text("Plan a day in " + args.get("city")))))
            .build();
    // [END server]
    return server;
  }

  /** Asks the client's model through sampling (a server-to-client request). */
  public static McpServer sampling() {
    // [START sampling]
    McpServer server =
        McpServer.builder("poet", "1.0.0")
            .tool(
                "haiku",
                "Asks the client's model for a haiku",
                McpJson.parse("{\"type\":\"object\"}"),
                (ctx, args) -> {
                  if (!ctx.clientSupports("sampling")) {
                    return McpJson.toolError("this client cannot sample");
                  }
                  JsonNode params =
                      McpJson.parse(
                          """
                          {"messages":[{"role":"user",
                            "content":{"type":"text","text":"A haiku about HTTP"}}],
                           "maxTokens":60}""");
                  JsonNode answer =
                      ctx.request("sampling/createMessage", params, Duration.ofSeconds(30));
                  return McpJson.toolResult(
                      McpJson.text(answer.path("content").path("text").asString()));
                })
            .build();
    // [END sampling]
    return server;
  }

  /** Asks the user a question, written once for both protocol revisions. */
  public static McpServer askOnce() {
    // [START ask]
    McpServer server =
        McpServer.builder("concierge", "1.0.0")
            .tool(
                "book",
                "Books a table after asking for the time",
                McpJson.parse("{\"type\":\"object\"}"),
                (ctx, args) -> {
                  JsonNode schema =
                      McpJson.parse(
                          """
                          {"type":"object","properties":{"time":{"type":"string"}},
                           "required":["time"]}""");
                  // 2025-11-25: an elicitation request on this call's stream, answered by POST;
                  // 2026-07-28: an input_required result, answered by the client's retry
                  JsonNode answer = ctx.input("time", McpInput.elicit("What time?", schema));
                  if (!answer.path("action").asString().equals("accept")) {
                    return McpJson.toolResult(McpJson.text("Not booked"));
                  }
                  String time = answer.path("content").path("time").asString();
                  return McpJson.toolResult(McpJson.text("Booked for " + time));
                })
            .build();
    // [END ask]
    return server;
  }

  /** Mounts {@code server} at {@code /mcp} with explicit transport settings. */
  public static ServiceKitServer mount(McpServer server, int port) {
    // [START mount]
    McpEndpoint transport =
        McpEndpoint.builder(server)
            .allowedHosts(List.of("localhost", "127.0.0.1", "[::1]")) // Host check (403)
            .allowedOrigins(OriginPolicy.localhost()) // Origin check (403)
            .standaloneGet(true) // false: GET without Last-Event-ID → 405
            .eventStore(new MemoryEventStore(1000)) // what resumption replays
            .retry(Duration.ofSeconds(1)) // retry hint for 2025-11-25 clients
            .sessionIdleTimeout(Duration.ofMinutes(30))
            .build();
    ServiceKitServer http =
        ServiceKitServer.builder()
            .port(port)
            .route("/mcp", StreamableServe.handler(transport))
            .build();
    // [END mount]
    return http;
  }

  /**
   * Mounts {@code server} at {@code /mcp} behind OAuth authorization ({@link McpAuth}) for the
   * resource {@code resource}, with its metadata document.
   */
  public static ServiceKitServer mountWithAuth(
      McpServer server, int port, String resource, McpAuth.TokenValidator validator) {
    // [START auth]
    McpAuth auth =
        McpAuth.builder(resource) // the endpoint's canonical URI
            .authorizationServer("https://auth.example.com") // issuer(s), at least one
            .validator(validator) // the application's token check
            .requiredScopes("mcp:read") // every request
            .operationScopes("tools/call", "forecast", "weather:read") // one tool (null: any)
            .operationScopes(
                (method, name) ->
                    name != null && name.startsWith("admin_") ? Set.of("mcp:admin") : Set.of())
            .scopeImplies("mcp:admin", "mcp:read", "weather:read") // a scope hierarchy
            .resourceName("Weather")
            .build();
    McpEndpoint transport = McpEndpoint.builder(server).auth(auth).build();
    ServiceKitServer http =
        ServiceKitServer.builder()
            .port(port)
            .route("/mcp", StreamableServe.handler(transport))
            // RFC 9728: /.well-known/oauth-protected-resource/mcp
            .route(auth.metadataPath(), StreamableServe.handler(auth.metadataHandler()))
            .build();
    // [END auth]
    return http;
  }

  /** MCP-stdio framing around any message handler: one frame in, one frame out. */
  public static void stdio(InputStream in, OutputStream out, UnaryOperator<byte[]> handle)
      throws IOException {
    // [START framing]
    ContentLengthFraming.Reader frames = ContentLengthFraming.reader(in, 1 << 20);
    byte[] message;
    while ((message = frames.read()) != null) { // null: clean end of input
      ContentLengthFraming.write(out, handle.apply(message)); // header and body in one write
    }
    // [END framing]
  }
}
