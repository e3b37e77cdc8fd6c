package io.servicekit.mcp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.servicekit.jetty.ServiceKitServer;
import io.servicekit.jetty.StreamableServe;
import io.servicekit.sse.SseParser;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * The stateless revision (2026-07-28) of {@link McpEndpoint} over real HTTP on Jetty: the request
 * ladder with its codes and statuses, the SEP-2243 headers, results, per-request streams and
 * cancellation, multi-round-trip input with sealed {@code requestState}, listens, and that the same
 * tool code serves a 2025-11-25 session.
 */
class McpStatelessTest {
  private static final String V = "2026-07-28";
  private final CountDownLatch blocked = new CountDownLatch(1);
  private final CountDownLatch interrupted = new CountDownLatch(1);
  private ServiceKitServer server;
  private McpHttp http;
  private McpEndpoint transport;

  @BeforeEach
  void start() throws Exception {
    start(b -> {});
  }

  private void start(Consumer<McpEndpoint.Builder> settings) throws Exception {
    if (server != null) {
      server.close();
    }
    ObjectNode nameSchema = McpJson.object().put("type", "object");
    nameSchema.putObject("properties").putObject("name").put("type", "string");
    McpServer mcp =
        McpServer.builder("stateless-test", "2.0")
            .listChanged(true)
            .tool(
                "plain",
                "no notifications",
                schema(),
                (ctx, args) -> McpJson.toolResult(McpJson.text("plain " + ctx.protocolVersion())))
            .tool(
                "chatty",
                "logs at two levels and reports progress",
                schema(),
                (ctx, args) -> {
                  ctx.log("debug", "t", "quiet");
                  ctx.progress(1, 2.0, null);
                  ctx.log("warning", "t", "loud");
                  return McpJson.toolResult(McpJson.text("done"));
                })
            .tool(
                "greet",
                "asks a name, then a colour",
                schema(),
                (ctx, args) -> {
                  JsonNode name = ctx.input("name", McpInput.elicit("Name?", nameSchema));
                  JsonNode colour = ctx.input("colour", McpInput.elicit("Colour?", nameSchema));
                  return McpJson.toolResult(
                      McpJson.text(
                          name.path("content").path("name").asString()
                              + "/"
                              + colour.path("content").path("name").asString()
                              + "/"
                              + args.path("x").asString("")));
                })
            .tool(
                "legacySample",
                "written for 2025-11-25 with ctx.request",
                schema(),
                (ctx, args) -> {
                  JsonNode r = ctx.request("sampling/createMessage", McpJson.object());
                  return McpJson.toolResult(McpJson.text("LLM: " + r.path("text").asString()));
                })
            .tool(
                "block",
                "reports progress, then blocks until cancelled",
                schema(),
                (ctx, args) -> {
                  ctx.progress(0, 1.0, null);
                  blocked.countDown();
                  try {
                    new CountDownLatch(1).await();
                  } catch (InterruptedException e) {
                    interrupted.countDown();
                    throw e;
                  }
                  return McpJson.toolResult(McpJson.text("never"));
                })
            .tool(
                "mirrored",
                "region is mirrored into Mcp-Param-Region, count into Mcp-Param-Count",
                McpJson.parse(
                    """
                    {"type":"object","properties":{
                      "region":{"type":"string","x-mcp-header":"Region"},
                      "count":{"type":"integer","x-mcp-header":"Count"}}}"""),
                (ctx, args) -> McpJson.toolResult(McpJson.text("region=" + args.path("region"))))
            .tool(
                "fails",
                "throws an McpError with a message of its own",
                schema(),
                (ctx, args) -> {
                  throw new McpError(McpError.INVALID_PARAMS, "bad thing: " + args);
                })
            .resource(
                "test://boom",
                "boom",
                "its handler throws an Error with a secret in it",
                "text/plain",
                (ctx, uri, vars) -> {
                  throw new AssertionError("secret-token-123");
                })
            .resource(
                "test://r",
                "r",
                "a resource",
                "text/plain",
                (ctx, uri, vars) ->
                    McpJson.readResult(McpJson.textContents(uri, "text/plain", "r")))
            .prompt(
                "p",
                "a prompt",
                List.of(),
                (ctx, args) ->
                    McpJson.promptResult(null, McpJson.message("user", McpJson.text("hi"))))
            .build();
    McpEndpoint.Builder builder = McpEndpoint.builder(mcp);
    settings.accept(builder);
    transport = builder.build();
    server =
        ServiceKitServer.builder()
            .port(0)
            .route("/mcp", StreamableServe.handler(transport))
            .build()
            .start();
    http = new McpHttp(java.net.URI.create("http://127.0.0.1:" + server.port() + "/mcp"));
  }

  @AfterEach
  void stop() throws Exception {
    if (server != null) {
      server.close();
    }
  }

  private static ObjectNode schema() {
    return McpJson.object().put("type", "object");
  }

  /** A 2026-07-28 request body: {@code params} plus the required {@code _meta}. */
  private static String body(Object id, String method, String params, String caps) {
    ObjectNode p = (ObjectNode) McpJson.parse(params);
    ObjectNode meta = p.has("_meta") ? (ObjectNode) p.get("_meta") : p.putObject("_meta");
    meta.put(StatelessPath.META_VERSION, V);
    meta.set(StatelessPath.META_CAPABILITIES, McpJson.parse(caps));
    ObjectNode m = McpJson.object().put("jsonrpc", "2.0").put("method", method);
    m.set("id", McpJson.MAPPER.valueToTree(id));
    m.set("params", p);
    return m.toString();
  }

  private static Map<String, String> headers(String method, String name) {
    Map<String, String> h = new LinkedHashMap<>();
    h.put("MCP-Protocol-Version", V);
    h.put("Mcp-Method", method);
    if (name != null) {
      h.put("Mcp-Name", name);
    }
    return h;
  }

  private HttpResponse<String> call(int id, String tool, String args, String caps)
      throws Exception {
    return http.post(
        body(id, "tools/call", "{\"name\":\"" + tool + "\",\"arguments\":" + args + "}", caps),
        headers("tools/call", tool));
  }

  private static JsonNode json(HttpResponse<String> r) {
    return McpJson.parse(r.body());
  }

  private static void assertError(HttpResponse<String> r, int status, int code, Object id) {
    assertThat(r.statusCode()).as(r.body()).isEqualTo(status);
    JsonNode b = json(r);
    assertThat(b.path("error").path("code").asInt()).as(r.body()).isEqualTo(code);
    assertThat(b.path("id"))
        .as("the error echoes the request id")
        .isEqualTo(McpJson.MAPPER.valueToTree(id));
  }

  @Test
  void discoverNamesTheRevisionCapabilitiesAndServerWithCacheHintsAndNoSession() throws Exception {
    HttpResponse<String> r =
        http.post(body(1, "server/discover", "{}", "{}"), headers("server/discover", null));
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    assertThat(r.headers().firstValue("Mcp-Session-Id")).isEmpty();
    JsonNode result = json(r).path("result");
    assertThat(result.path("supportedVersions").toString()).isEqualTo("[\"2026-07-28\"]");
    assertThat(result.path("capabilities").path("tools").path("listChanged").asBoolean()).isTrue();
    assertThat(result.path("capabilities").has("prompts")).isTrue();
    assertThat(result.path("resultType").asString()).isEqualTo("complete");
    assertThat(result.path("ttlMs").asLong(-1)).isZero();
    assertThat(result.path("cacheScope").asString()).isEqualTo("public");
    assertThat(result.path("_meta").path(StatelessPath.META_SERVER_INFO).toString())
        .isEqualTo("{\"name\":\"stateless-test\",\"version\":\"2.0\"}");
    assertThat(transport.sessionCount()).as("no session on the stateless path").isZero();
  }

  @Test
  void theLadderRefusesInOrderWithCodesStatusesAndTheRequestId() throws Exception {
    // no _meta at all, header names the revision: -32602
    assertError(
        http.post(
            "{\"jsonrpc\":\"2.0\",\"id\":\"a\",\"method\":\"tools/list\",\"params\":{}}",
            headers("tools/list", null)),
        400,
        McpError.INVALID_PARAMS,
        "a");
    // _meta without clientCapabilities: -32602
    assertError(
        http.post(
            "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"tools/list\",\"params\":{\"_meta\":{\""
                + StatelessPath.META_VERSION
                + "\":\"2026-07-28\"}}}",
            headers("tools/list", null)),
        400,
        McpError.INVALID_PARAMS,
        2);
    // header absent: -32020
    Map<String, String> noVersion = headers("tools/list", null);
    noVersion.remove("MCP-Protocol-Version");
    assertError(
        http.post(body(3, "tools/list", "{}", "{}"), noVersion), 400, McpError.HEADER_MISMATCH, 3);
    // header differs from the body: -32020
    String v999 = body(4, "tools/list", "{}", "{}").replace("2026-07-28", "v999.0.0");
    assertError(http.post(v999, headers("tools/list", null)), 400, McpError.HEADER_MISMATCH, 4);
    // both name a version not offered: -32022 with supported and requested
    Map<String, String> h999 = headers("tools/list", null);
    h999.put("MCP-Protocol-Version", "v999.0.0");
    HttpResponse<String> unsupported = http.post(v999, h999);
    assertError(unsupported, 400, McpError.UNSUPPORTED_PROTOCOL_VERSION, 4);
    assertThat(json(unsupported).path("error").path("data").toString())
        .isEqualTo("{\"supported\":[\"2026-07-28\"],\"requested\":\"v999.0.0\"}");
    // Mcp-Method missing, and differing in case only: -32020
    Map<String, String> noMethod = headers("tools/list", null);
    noMethod.remove("Mcp-Method");
    assertError(
        http.post(body(5, "tools/list", "{}", "{}"), noMethod), 400, McpError.HEADER_MISMATCH, 5);
    assertError(
        http.post(body(6, "tools/list", "{}", "{}"), headers("TOOLS/LIST", null)),
        400,
        McpError.HEADER_MISMATCH,
        6);
    // padded header values are fine
    assertThat(
            http.post(body(7, "tools/list", "{}", "{}"), headers("  tools/list  ", null))
                .statusCode())
        .isEqualTo(200);
    // Mcp-Name required on tools/call and equal to params.name
    assertError(
        http.post(
            body(8, "tools/call", "{\"name\":\"plain\",\"arguments\":{}}", "{}"),
            headers("tools/call", null)),
        400,
        McpError.HEADER_MISMATCH,
        8);
    assertError(
        http.post(
            body(9, "tools/call", "{\"name\":\"plain\",\"arguments\":{}}", "{}"),
            headers("tools/call", "chatty")),
        400,
        McpError.HEADER_MISMATCH,
        9);
    // bad logLevel: -32602
    assertError(
        http.post(
            body(
                10,
                "tools/list",
                "{\"_meta\":{\"" + StatelessPath.META_LOG_LEVEL + "\":\"loud\"}}",
                "{}"),
            headers("tools/list", null)),
        400,
        McpError.INVALID_PARAMS,
        10);
  }

  @Test
  void removedAndUnknownMethodsAre404WithAJsonRpcBody() throws Exception {
    for (String m :
        List.of(
            "initialize",
            "ping",
            "logging/setLevel",
            "resources/subscribe",
            "resources/unsubscribe",
            "unknown/method")) {
      assertError(
          http.post(body(11, m, "{}", "{}"), headers(m, null)), 404, McpError.METHOD_NOT_FOUND, 11);
    }
  }

  @Test
  void batchesAndPostedResponsesAreRefusedAndNotificationsAccepted() throws Exception {
    HttpResponse<String> batch =
        http.post("[" + body(1, "tools/list", "{}", "{}") + "]", headers("tools/list", null));
    assertThat(batch.statusCode()).isEqualTo(400);
    assertThat(json(batch).path("error").path("code").asInt()).isEqualTo(McpError.INVALID_REQUEST);
    Map<String, String> h = headers("x", null);
    h.remove("Mcp-Method");
    HttpResponse<String> response = http.post("{\"jsonrpc\":\"2.0\",\"id\":5,\"result\":{}}", h);
    assertError(response, 400, McpError.INVALID_REQUEST, 5);
    HttpResponse<String> note =
        http.post(
            "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/whatever\",\"params\":{\"_meta\":{\""
                + StatelessPath.META_VERSION
                + "\":\"2026-07-28\"}}}",
            headers("notifications/whatever", null));
    assertThat(note.statusCode()).isEqualTo(202);
  }

  @Test
  void getAndDeleteWithTheStatelessVersionAre405AndASessionIdIsIgnored() throws Exception {
    HttpResponse<String> get =
        http.send("GET", Map.of("Accept", "text/event-stream", "MCP-Protocol-Version", V));
    assertThat(get.statusCode()).isEqualTo(405);
    assertThat(get.headers().firstValue("Allow")).hasValue("POST");
    assertThat(http.send("DELETE", Map.of("MCP-Protocol-Version", V)).statusCode()).isEqualTo(405);
    Map<String, String> h = headers("tools/call", "plain");
    h.put("Mcp-Session-Id", "no-such-session");
    HttpResponse<String> r =
        http.post(body(1, "tools/call", "{\"name\":\"plain\",\"arguments\":{}}", "{}"), h);
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    assertThat(r.headers().firstValue("Mcp-Session-Id")).isEmpty();
  }

  @Test
  void resultsCarryResultTypeServerInfoAndCacheHintsWhereTheSpecAsks() throws Exception {
    JsonNode call = json(call(1, "plain", "{}", "{}")).path("result");
    assertThat(call.path("resultType").asString()).isEqualTo("complete");
    assertThat(call.path("content").get(0).path("text").asString()).isEqualTo("plain 2026-07-28");
    assertThat(call.has("ttlMs")).as("tools/call is not cacheable").isFalse();
    assertThat(call.path("_meta").has(StatelessPath.META_SERVER_INFO)).isTrue();
    JsonNode list =
        json(http.post(body(2, "tools/list", "{}", "{}"), headers("tools/list", null)))
            .path("result");
    assertThat(list.path("cacheScope").asString()).isEqualTo("public");
    assertThat(list.path("ttlMs").isIntegralNumber()).isTrue();
    JsonNode read =
        json(http.post(
                body(3, "resources/read", "{\"uri\":\"test://r\"}", "{}"),
                headers("resources/read", "test://r")))
            .path("result");
    assertThat(read.path("cacheScope").asString()).isEqualTo("private");
    assertThat(read.path("ttlMs").asLong(-1)).isZero();
  }

  @Test
  void aMissingResourceIs32602WithTheUriNotEmptyContents() throws Exception {
    HttpResponse<String> r =
        http.post(
            body(4, "resources/read", "{\"uri\":\"test://nope\"}", "{}"),
            headers("resources/read", "test://nope"));
    JsonNode e = json(r).path("error");
    assertThat(e.path("code").asInt()).isEqualTo(McpError.INVALID_PARAMS);
    assertThat(e.path("data").path("uri").asString()).isEqualTo("test://nope");
    assertThat(json(r).has("result")).isFalse();
  }

  @Test
  void aHandlerFailureIsAnsweredWithAnErrorIdAndNoneOfItsText() throws Exception {
    HttpResponse<String> r =
        http.post(
            body(5, "resources/read", "{\"uri\":\"test://boom\"}", "{}"),
            headers("resources/read", "test://boom"));
    JsonNode e = json(r).path("error");
    assertThat(e.path("code").asInt()).isEqualTo(McpError.INTERNAL_ERROR);
    assertThat(e.path("message").asString()).matches("Internal error \\(error id [0-9a-f]{8}\\)");
    assertThat(r.body()).doesNotContain("secret-token-123");
    await().atMost(Duration.ofSeconds(20)).until(() -> transport.statelessInFlight() == 0);
  }

  @Test
  void anMcpErrorKeepsItsMessage() throws Exception {
    JsonNode e = json(call(1, "fails", "{\"k\":1}", "{}")).path("error");
    assertThat(e.path("code").asInt()).isEqualTo(McpError.INVALID_PARAMS);
    assertThat(e.path("message").asString()).isEqualTo("bad thing: {\"k\":1}");
  }

  @Test
  void mirroredParamsMustMatchTheirHeadersIncludingBase64AndNumbers() throws Exception {
    String args = "{\"region\":\"Zürich\",\"count\":7}";
    String b64 =
        "=?base64?"
            + Base64.getEncoder().encodeToString("Zürich".getBytes(StandardCharsets.UTF_8))
            + "?=";
    Map<String, String> h = headers("tools/call", "mirrored");
    h.put("Mcp-Param-Region", b64);
    h.put("mcp-param-count", " 7.0 ");
    String b = body(1, "tools/call", "{\"name\":\"mirrored\",\"arguments\":" + args + "}", "{}");
    HttpResponse<String> ok = http.post(b, h);
    assertThat(ok.statusCode()).as(ok.body()).isEqualTo(200);
    assertThat(json(ok).path("result").path("content").get(0).path("text").asString())
        .isEqualTo("region=\"Zürich\"");

    Map<String, String> badPadding = new LinkedHashMap<>(h);
    badPadding.put("Mcp-Param-Region", "=?base64?SGVsbG8?=");
    assertError(http.post(b, badPadding), 400, McpError.HEADER_MISMATCH, 1);
    Map<String, String> missing = new LinkedHashMap<>(h);
    missing.remove("Mcp-Param-Region");
    assertError(http.post(b, missing), 400, McpError.HEADER_MISMATCH, 1);
    Map<String, String> wrongNumber = new LinkedHashMap<>(h);
    wrongNumber.put("mcp-param-count", "8");
    assertError(http.post(b, wrongNumber), 400, McpError.HEADER_MISMATCH, 1);
    Map<String, String> literal = new LinkedHashMap<>(h);
    literal.put("Mcp-Param-Region", "=?base64?"); // no closing marker: literal, and not equal
    assertError(http.post(b, literal), 400, McpError.HEADER_MISMATCH, 1);
  }

  @Test
  void aToolWhoseHeaderAnnotationBreaksTheRulesIsRefusedAtBuildTime() {
    assertThatThrownBy(
            () ->
                McpServer.builder("x", "1")
                    .tool(
                        "t",
                        "d",
                        McpJson.parse(
                            "{\"type\":\"object\",\"properties\":{\"o\":{\"type\":\"object\",\"x-mcp-header\":\"O\"}}}"),
                        (ctx, a) -> a))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("tool t, property o")
        .hasMessageContaining("string, integer or boolean");
    assertThatThrownBy(
            () ->
                McpServer.builder("x", "1")
                    .tool(
                        "t",
                        "d",
                        McpJson.parse(
                            "{\"type\":\"object\",\"properties\":{\"a\":{\"type\":\"string\",\"x-mcp-header\":\"Id\"},\"b\":{\"type\":\"string\",\"x-mcp-header\":\"ID\"}}}"),
                        (ctx, a) -> a))
        .hasMessageContaining("used twice");
    assertThatThrownBy(
            () ->
                McpServer.builder("x", "1")
                    .tool(
                        "t",
                        "d",
                        McpJson.parse(
                            "{\"type\":\"object\",\"properties\":{\"a\":{\"type\":\"string\",\"x-mcp-header\":\"has space\"}}}"),
                        (ctx, a) -> a))
        .hasMessageContaining("header token");
  }

  @Test
  void logsGoOnlyToRequestsThatAskAtOrAboveTheirLevelAndProgressStreams() throws Exception {
    String args = "{\"name\":\"chatty\",\"arguments\":{},\"_meta\":{\"progressToken\":\"p1\"}}";
    try (McpHttp.Events s =
        http.postStream(body(1, "tools/call", args, "{}"), headers("tools/call", "chatty"))) {
      assertThat(McpHttp.json(s.next().data()).path("method").asString())
          .isEqualTo("notifications/progress");
      JsonNode last = McpHttp.json(s.next().data());
      assertThat(last.path("result").path("content").get(0).path("text").asString())
          .as("no log without a logLevel in _meta")
          .isEqualTo("done");
      assertThat(s.awaitEnd()).isTrue();
    }
    String withLevel =
        "{\"name\":\"chatty\",\"arguments\":{},\"_meta\":{\"progressToken\":\"p2\",\""
            + StatelessPath.META_LOG_LEVEL
            + "\":\"info\"}}";
    try (McpHttp.Events s =
        http.postStream(body(2, "tools/call", withLevel, "{}"), headers("tools/call", "chatty"))) {
      assertThat(McpHttp.json(s.next().data()).path("method").asString())
          .isEqualTo("notifications/progress");
      JsonNode log = McpHttp.json(s.next().data());
      assertThat(log.path("method").asString()).isEqualTo("notifications/message");
      assertThat(log.path("params").path("level").asString())
          .as("debug is below the requested info level")
          .isEqualTo("warning");
      assertThat(McpHttp.json(s.next().data()).has("result")).isTrue();
      SseParser.Event e = s.events.poll(1, TimeUnit.SECONDS);
      assertThat(e).as("nothing after the response").isNull();
      assertThat(s.awaitEnd()).isTrue();
    }
  }

  @Test
  void closingTheResponseStreamCancelsTheRequest() throws Exception {
    McpHttp.Events s =
        http.postStream(
            body(
                1,
                "tools/call",
                "{\"name\":\"block\",\"arguments\":{},\"_meta\":{\"progressToken\":1}}",
                "{}"),
            headers("tools/call", "block"));
    assertThat(McpHttp.json(s.next().data()).path("method").asString())
        .isEqualTo("notifications/progress");
    assertThat(blocked.await(20, TimeUnit.SECONDS)).isTrue();
    assertThat(transport.statelessInFlight()).isEqualTo(1);
    s.close();
    assertThat(interrupted.await(20, TimeUnit.SECONDS))
        .as("the handler was interrupted when the client closed the stream")
        .isTrue();
    await().atMost(Duration.ofSeconds(20)).until(() -> transport.statelessInFlight() == 0);
  }

  @Test
  void inputRoundsCollectAnswersInASealedStateThatCannotBeAlteredOrMoved() throws Exception {
    String caps = "{\"elicitation\":{}}";
    JsonNode r1 = json(call(1, "greet", "{\"x\":\"1\"}", caps)).path("result");
    assertThat(r1.path("resultType").asString()).isEqualTo("input_required");
    assertThat(r1.path("inputRequests").path("name").path("method").asString())
        .isEqualTo("elicitation/create");
    assertThat(r1.has("ttlMs")).as("no cache hints on input_required").isFalse();
    String state1 = r1.path("requestState").asString();

    String answerName =
        "\"inputResponses\":{\"name\":{\"action\":\"accept\",\"content\":{\"name\":\"Ada\"}}}";
    JsonNode r2 =
        json(http.post(
                body(
                    2,
                    "tools/call",
                    "{\"name\":\"greet\",\"arguments\":{\"x\":\"1\"},"
                        + answerName
                        + ",\"requestState\":\""
                        + state1
                        + "\"}",
                    caps),
                headers("tools/call", "greet")))
            .path("result");
    assertThat(r2.path("resultType").asString()).isEqualTo("input_required");
    assertThat(r2.path("inputRequests").has("colour")).isTrue();
    assertThat(r2.path("inputRequests").has("name")).as("answered already").isFalse();
    String state2 = r2.path("requestState").asString();

    String answerColour =
        "\"inputResponses\":{\"colour\":{\"action\":\"accept\",\"content\":{\"name\":\"red\"}},\"extra\":{}}";
    String round3 =
        "{\"name\":\"greet\",\"arguments\":{\"x\":\"1\"},"
            + answerColour
            + ",\"requestState\":\""
            + state2
            + "\"}";
    JsonNode r3 =
        json(http.post(body(3, "tools/call", round3, caps), headers("tools/call", "greet")))
            .path("result");
    assertThat(r3.path("resultType").asString()).isEqualTo("complete");
    assertThat(r3.path("content").get(0).path("text").asString())
        .as("round 1's answer came back from the state; extra keys are ignored")
        .isEqualTo("Ada/red/1");

    // one character of the state changed: refused
    char c = state2.charAt(5);
    String tampered = state2.substring(0, 5) + (c == 'A' ? 'B' : 'A') + state2.substring(6);
    JsonNode t =
        json(
            http.post(
                body(4, "tools/call", round3.replace(state2, tampered), caps),
                headers("tools/call", "greet")));
    assertThat(t.path("error").path("code").asInt()).isEqualTo(McpError.INVALID_PARAMS);
    assertThat(t.path("error").path("message").asString()).contains("integrity");

    // the same state for other arguments: refused
    JsonNode moved =
        json(
            http.post(
                body(5, "tools/call", round3.replace("{\"x\":\"1\"}", "{\"x\":\"2\"}"), caps),
                headers("tools/call", "greet")));
    assertThat(moved.path("error").path("message").asString()).contains("another request");

    // an answer that is not an object: refused
    JsonNode bad =
        json(
            http.post(
                body(
                    6,
                    "tools/call",
                    "{\"name\":\"greet\",\"arguments\":{\"x\":\"1\"},\"inputResponses\":{\"name\":12345}}",
                    caps),
                headers("tools/call", "greet")));
    assertThat(bad.path("error").path("code").asInt()).isEqualTo(McpError.INVALID_PARAMS);
    assertThat(bad.path("error").path("message").asString()).contains("inputResponses.name");
  }

  @Test
  void askingForAnUndeclaredCapabilityIs32021With400() throws Exception {
    HttpResponse<String> r = call(1, "greet", "{}", "{\"sampling\":{}}");
    assertError(r, 400, McpError.MISSING_REQUIRED_CLIENT_CAPABILITY, 1);
    assertThat(json(r).path("error").path("data").path("requiredCapabilities").toString())
        .isEqualTo("{\"elicitation\":{}}");
  }

  @Test
  void aToolWrittenWithCtxRequestAsksForInputOnTheStatelessRevision() throws Exception {
    JsonNode r1 = json(call(1, "legacySample", "{}", "{\"sampling\":{}}")).path("result");
    assertThat(r1.path("inputRequests").path("request-1").path("method").asString())
        .isEqualTo("sampling/createMessage");
    String retry =
        "{\"name\":\"legacySample\",\"arguments\":{},\"inputResponses\":{\"request-1\":{\"text\":\"hi\"}},\"requestState\":\""
            + r1.path("requestState").asString()
            + "\"}";
    JsonNode r2 =
        json(http.post(
                body(2, "tools/call", retry, "{\"sampling\":{}}"),
                headers("tools/call", "legacySample")))
            .path("result");
    assertThat(r2.path("content").get(0).path("text").asString()).isEqualTo("LLM: hi");
  }

  @Test
  void theSameToolAsksA20251125ClientOverItsStream() throws Exception {
    HttpResponse<String> init =
        http.post(
            McpHttp.initializeBody("2025-11-25").replace("\"sampling\":{}", "\"elicitation\":{}"),
            Map.of());
    String sid = init.headers().firstValue("Mcp-Session-Id").orElseThrow();
    Map<String, String> session =
        Map.of("Mcp-Session-Id", sid, "MCP-Protocol-Version", "2025-11-25");
    try (McpHttp.Events s =
        http.postStream(
            "{\"jsonrpc\":\"2.0\",\"id\":9,\"method\":\"tools/call\",\"params\":{\"name\":\"greet\",\"arguments\":{}}}",
            session)) {
      for (String answer : List.of("Ada", "red")) {
        JsonNode ask = nextMessage(s);
        assertThat(ask.path("method").asString()).isEqualTo("elicitation/create");
        HttpResponse<String> posted =
            http.post(
                "{\"jsonrpc\":\"2.0\",\"id\":"
                    + ask.path("id")
                    + ",\"result\":{\"action\":\"accept\",\"content\":{\"name\":\""
                    + answer
                    + "\"}}}",
                session);
        assertThat(posted.statusCode()).isEqualTo(202);
      }
      JsonNode result = nextMessage(s);
      assertThat(result.path("result").path("content").get(0).path("text").asString())
          .isEqualTo("Ada/red/");
      assertThat(result.path("result").has("resultType"))
          .as("no 2026 fields on 2025-11-25")
          .isFalse();
    }
  }

  private static JsonNode nextMessage(McpHttp.Events s) throws InterruptedException {
    while (true) {
      SseParser.Event e = s.next();
      if (!e.data().isEmpty()) {
        return McpHttp.json(e.data());
      }
    }
  }

  @Test
  void listenAcknowledgesThenDeliversOnlyWhatItAskedForTaggedWithItsId() throws Exception {
    try (McpHttp.Events tools =
            http.postStream(
                body(
                    "L1",
                    "subscriptions/listen",
                    "{\"notifications\":{\"toolsListChanged\":true,\"resourceSubscriptions\":[\"test://r\"]}}",
                    "{}"),
                headers("subscriptions/listen", null));
        McpHttp.Events prompts =
            http.postStream(
                body(
                    "L2",
                    "subscriptions/listen",
                    "{\"notifications\":{\"promptsListChanged\":true}}",
                    "{}"),
                headers("subscriptions/listen", null))) {
      JsonNode ack = McpHttp.json(tools.next().data());
      assertThat(ack.path("method").asString())
          .isEqualTo("notifications/subscriptions/acknowledged");
      assertThat(ack.path("params").path("notifications").toString())
          .isEqualTo("{\"toolsListChanged\":true,\"resourceSubscriptions\":[\"test://r\"]}");
      assertThat(ack.path("params").path("_meta").path(StatelessPath.META_SUBSCRIPTION).asString())
          .isEqualTo("L1");
      assertThat(McpHttp.json(prompts.next().data()).path("method").asString())
          .isEqualTo("notifications/subscriptions/acknowledged");
      await().atMost(Duration.ofSeconds(20)).until(() -> transport.listenCount() == 2);

      transport.toolsListChanged();
      transport.resourceUpdated("test://other");
      transport.resourceUpdated("test://r");
      JsonNode changed = McpHttp.json(tools.next().data());
      assertThat(changed.path("method").asString()).isEqualTo("notifications/tools/list_changed");
      assertThat(
              changed.path("params").path("_meta").path(StatelessPath.META_SUBSCRIPTION).asString())
          .isEqualTo("L1");
      JsonNode updated = McpHttp.json(tools.next().data());
      assertThat(updated.path("method").asString()).isEqualTo("notifications/resources/updated");
      assertThat(updated.path("params").path("uri").asString()).isEqualTo("test://r");

      transport.promptsListChanged();
      JsonNode p = McpHttp.json(prompts.next().data());
      assertThat(p.path("method").asString())
          .as("the prompts listen got no tools or resources notification before this")
          .isEqualTo("notifications/prompts/list_changed");

      transport.shutdown(Duration.ofSeconds(5)).get(20, TimeUnit.SECONDS);
      JsonNode end = McpHttp.json(tools.next().data());
      assertThat(end.path("id").asString()).isEqualTo("L1");
      assertThat(end.path("result").path("resultType").asString()).isEqualTo("complete");
      assertThat(tools.awaitEnd()).isTrue();
    }
  }

  @Test
  void listensAndRequestsInFlightAreBounded() throws Exception {
    start(b -> b.maxListens(1));
    try (McpHttp.Events first =
        http.postStream(
            body(
                1, "subscriptions/listen", "{\"notifications\":{\"toolsListChanged\":true}}", "{}"),
            headers("subscriptions/listen", null))) {
      first.next();
      HttpResponse<String> second =
          http.post(
              body(
                  2,
                  "subscriptions/listen",
                  "{\"notifications\":{\"toolsListChanged\":true}}",
                  "{}"),
              headers("subscriptions/listen", null));
      assertError(second, 503, McpError.SERVER_ERROR, 2);
      assertThat(json(second).path("error").path("message").asString()).contains("maxListens");
    }
    assertThatThrownBy(
            () -> McpEndpoint.builder(McpServer.builder("x", "1").build()).maxInFlight(0))
        .hasMessageContaining("maxInFlight must be positive, was 0");

    start(b -> b.maxInFlight(1));
    try (McpHttp.Events running =
        http.postStream(
            body(
                3,
                "tools/call",
                "{\"name\":\"block\",\"arguments\":{},\"_meta\":{\"progressToken\":1}}",
                "{}"),
            headers("tools/call", "block"))) {
      running.next(); // its progress: the request is running and holds the one slot
      assertThat(blocked.await(20, TimeUnit.SECONDS)).isTrue();
      HttpResponse<String> refused = call(4, "plain", "{}", "{}");
      assertError(refused, 503, McpError.SERVER_ERROR, 4);
      assertThat(json(refused).path("error").path("message").asString()).contains("maxInFlight");
    }
    await().atMost(Duration.ofSeconds(20)).until(() -> transport.statelessInFlight() == 0);
    assertThat(call(5, "plain", "{}", "{}").statusCode())
        .as("the slot is free again once the blocked request was cancelled")
        .isEqualTo(200);
    assertThatThrownBy(
            () ->
                McpEndpoint.builder(McpServer.builder("x", "1").build())
                    .requestStateKey(new byte[8]))
        .hasMessageContaining("at least 32 bytes, got 8 bytes");
  }

  @Test
  void aStateIsValidOnlyUntilItExpires() {
    long[] now = {1_000_000};
    RequestStates states = new RequestStates(new byte[32], Duration.ofMinutes(1), () -> now[0]);
    String b = RequestStates.binding("tools/call", McpJson.parse("{\"name\":\"t\"}"), "alice");
    ObjectNode answers = McpJson.object();
    answers.putObject("k").put("action", "accept");
    String sealed = states.seal(b, answers);
    JsonNode token = McpJson.MAPPER.getNodeFactory().stringNode(sealed);
    assertThat(states.open(token, b).toString()).isEqualTo("{\"k\":{\"action\":\"accept\"}}");
    String otherUser =
        RequestStates.binding("tools/call", McpJson.parse("{\"name\":\"t\"}"), "bob");
    assertThatThrownBy(() -> states.open(token, otherUser)).hasMessageContaining("another request");
    assertThat(
            RequestStates.binding(
                "tools/call",
                McpJson.parse("{\"arguments\":{\"b\":1,\"a\":2},\"name\":\"t\"}"),
                null))
        .as("member order does not matter")
        .isEqualTo(
            RequestStates.binding(
                "tools/call",
                McpJson.parse("{\"name\":\"t\",\"arguments\":{\"a\":2,\"b\":1}}"),
                null));
    now[0] += Duration.ofMinutes(1).toMillis() + 1;
    assertThatThrownBy(() -> states.open(token, b)).hasMessageContaining("expired");
    RequestStates otherKey =
        new RequestStates(
            new byte[] {
              1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24,
              25, 26, 27, 28, 29, 30, 31, 32
            },
            Duration.ofMinutes(1),
            () -> 0);
    assertThatThrownBy(() -> otherKey.open(token, b)).hasMessageContaining("integrity");
  }
}
