package io.servicekit.mcp;

import static org.assertj.core.api.Assertions.assertThat;

import io.servicekit.OriginPolicy;
import io.servicekit.jetty.ServiceKitServer;
import io.servicekit.jetty.StreamableServe;
import io.servicekit.sse.SseParser;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * Every HTTP rule of {@link McpEndpoint}, each checked both ways (refused and accepted), against a
 * real Jetty on port 0 with {@link java.net.http.HttpClient}.
 */
class McpEndpointTest {
  private static final String V = "2025-11-25";
  private final CountDownLatch release = new CountDownLatch(1);
  private ServiceKitServer server;
  private McpHttp http;
  private McpEndpoint transport;

  private final CountDownLatch blocked = new CountDownLatch(1);

  @BeforeEach
  void start() throws Exception {
    start(b -> {});
  }

  private void start(java.util.function.Consumer<McpEndpoint.Builder> settings) throws Exception {
    if (server != null) {
      server.close();
    }
    McpServer mcp =
        McpServer.builder("test", "1.0")
            .tool(
                "plain",
                "no notifications",
                schema(),
                (ctx, args) -> McpJson.toolResult(McpJson.text("plain")))
            .tool(
                "chatty",
                "logs and reports progress",
                schema(),
                (ctx, args) -> {
                  ctx.log("info", "t", "one");
                  ctx.progress(1, 2.0, null);
                  ctx.log("debug", "t", "two");
                  return McpJson.toolResult(McpJson.text("done"));
                })
            .tool(
                "reconnect",
                "closes its stream, then answers when released",
                schema(),
                (ctx, args) -> {
                  ctx.log("info", "t", "before");
                  ctx.closeStream();
                  assertThat(release.await(20, TimeUnit.SECONDS)).isTrue();
                  return McpJson.toolResult(McpJson.text("after reconnect"));
                })
            .tool(
                "ask",
                "asks the client to sample",
                schema(),
                (ctx, args) -> {
                  JsonNode r = ctx.request("sampling/createMessage", McpJson.object());
                  return McpJson.toolResult(McpJson.text("LLM: " + r.path("text").asString()));
                })
            .tool(
                "slow",
                "logs, then answers when released",
                schema(),
                (ctx, args) -> {
                  ctx.log("info", "t", "before");
                  assertThat(release.await(20, TimeUnit.SECONDS)).isTrue();
                  return McpJson.toolResult(McpJson.text("after reconnect"));
                })
            .tool(
                "block",
                "blocks until cancelled",
                schema(),
                (ctx, args) -> {
                  blocked.countDown();
                  new CountDownLatch(1).await(); // until interrupted by notifications/cancelled
                  return McpJson.toolResult(McpJson.text("never"));
                })
            .resource(
                "test://r",
                "r",
                "a resource",
                "text/plain",
                (ctx, uri, vars) ->
                    McpJson.readResult(McpJson.textContents(uri, "text/plain", "r")))
            .build();
    McpEndpoint.Builder builder =
        McpEndpoint.builder(mcp)
            .allowedOrigins(OriginPolicy.of("localhost", "https://app.example.com"));
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

  private static ObjectNode schema() {
    return McpJson.object().put("type", "object");
  }

  @AfterEach
  void stop() throws Exception {
    release.countDown();
    if (server != null) {
      server.close();
    }
  }

  private static Map<String, String> session(String id) {
    return Map.of("Mcp-Session-Id", id, "MCP-Protocol-Version", V);
  }

  private static int errorCode(HttpResponse<String> r) {
    return McpHttp.json(r.body()).path("error").path("code").asInt();
  }

  @Test
  void initializeIssuesASessionAndNegotiatesTheVersion() throws Exception {
    HttpResponse<String> r = http.post(McpHttp.initializeBody(V), Map.of());
    assertThat(r.statusCode()).isEqualTo(200);
    String id = r.headers().firstValue("Mcp-Session-Id").orElseThrow();
    assertThat(id).matches("[0-9a-f]{32}");
    JsonNode result = McpHttp.json(r.body()).path("result");
    assertThat(result.path("protocolVersion").asString()).isEqualTo(V);
    assertThat(result.path("serverInfo").path("name").asString()).isEqualTo("test");
    assertThat(result.path("capabilities").has("tools")).isTrue();
    // an unknown requested version gets the newest supported one
    HttpResponse<String> other = http.post(McpHttp.initializeBody("1999-01-01"), Map.of());
    assertThat(McpHttp.json(other.body()).path("result").path("protocolVersion").asString())
        .isEqualTo(McpEndpoint.SUPPORTED_VERSIONS.get(0));
    assertThat(other.headers().firstValue("Mcp-Session-Id").orElseThrow()).isNotEqualTo(id);
    // a second initialize on a live session is refused
    HttpResponse<String> again = http.post(McpHttp.initializeBody(V), Map.of("Mcp-Session-Id", id));
    assertThat(again.statusCode()).isEqualTo(400);
    assertThat(again.body()).contains("already initialized");
  }

  @Test
  void sessionHeaderIsRequiredAndMustNameALiveSession() throws Exception {
    String ping = "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\"}";
    HttpResponse<String> missing = http.post(ping, Map.of());
    assertThat(missing.statusCode()).isEqualTo(400);
    assertThat(missing.body()).contains("Mcp-Session-Id header is required");
    assertThat(errorCode(missing)).isEqualTo(-32000);
    HttpResponse<String> unknown = http.post(ping, Map.of("Mcp-Session-Id", "nope"));
    assertThat(unknown.statusCode()).isEqualTo(404);
    assertThat(errorCode(unknown)).isEqualTo(-32001);
    String id = http.initialize(V);
    HttpResponse<String> ok = http.post(ping, session(id));
    assertThat(ok.statusCode()).isEqualTo(200);
    assertThat(McpHttp.json(ok.body()).path("result").isObject()).isTrue();
    // DELETE ends it: then 404 for every method
    assertThat(http.send("DELETE", session(id)).statusCode()).isEqualTo(200);
    assertThat(http.post(ping, session(id)).statusCode()).isEqualTo(404);
    assertThat(http.send("DELETE", session(id)).statusCode()).isEqualTo(404);
    assertThat(
            http.send("GET", Map.of("Mcp-Session-Id", id, "Accept", "text/event-stream"))
                .statusCode())
        .isEqualTo(404);
    assertThat(http.send("DELETE", Map.of()).statusCode()).isEqualTo(400);
  }

  @Test
  void protocolVersionHeaderMustBeSupportedAndMayBeAbsent() throws Exception {
    String id = http.initialize(V);
    String ping = "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\"}";
    HttpResponse<String> bad =
        http.post(ping, Map.of("Mcp-Session-Id", id, "MCP-Protocol-Version", "2099-01-01"));
    assertThat(bad.statusCode()).isEqualTo(400);
    assertThat(bad.body()).contains("Unsupported protocol version 2099-01-01");
    assertThat(http.post(ping, Map.of("Mcp-Session-Id", id)).statusCode()).isEqualTo(200);
    assertThat(
            http.post(ping, Map.of("Mcp-Session-Id", id, "MCP-Protocol-Version", "2025-06-18"))
                .statusCode())
        .isEqualTo(200);
  }

  @Test
  void notificationsAndResponsesGet202WithoutABody() throws Exception {
    String id = http.initialize(V);
    HttpResponse<String> n =
        http.post("{\"jsonrpc\":\"2.0\",\"method\":\"notifications/whatever\"}", session(id));
    assertThat(n.statusCode()).isEqualTo(202);
    assertThat(n.body()).isEmpty();
    HttpResponse<String> r =
        http.post("{\"jsonrpc\":\"2.0\",\"id\":\"x\",\"result\":{}}", session(id));
    assertThat(r.statusCode()).isEqualTo(202);
    assertThat(r.body()).isEmpty();
    // a request on the same session is answered 200
    assertThat(http.post(McpHttp.call(3, "plain"), session(id)).statusCode()).isEqualTo(200);
  }

  @Test
  void acceptMustListBothTypesOnPostAndEventStreamOnGet() throws Exception {
    String id = http.initialize(V);
    String ping = "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\"}";
    Map<String, String> h = new java.util.HashMap<>(session(id));
    h.put("Accept", "application/json");
    HttpResponse<String> r = http.post(ping, h);
    assertThat(r.statusCode()).isEqualTo(406);
    assertThat(r.body()).contains("application/json and text/event-stream");
    h.put("Accept", "application/json, text/event-stream;q=0");
    assertThat(http.post(ping, h).statusCode()).isEqualTo(406);
    h.put("Accept", "*/*");
    assertThat(http.post(ping, h).statusCode()).isEqualTo(200);
    Map<String, String> g = new java.util.HashMap<>(session(id));
    g.put("Accept", "application/json");
    assertThat(http.send("GET", g).statusCode()).isEqualTo(406);
    try (McpHttp.Events events = http.get(session(id))) {
      assertThat(events.response.statusCode()).isEqualTo(200);
    }
  }

  @Test
  void contentTypeMustBeJson() throws Exception {
    String id = http.initialize(V);
    String ping = "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\"}";
    Map<String, String> h = new java.util.HashMap<>(session(id));
    h.put("Content-Type", "text/plain");
    HttpResponse<String> r = http.post(ping, h);
    assertThat(r.statusCode()).isEqualTo(415);
    assertThat(r.body()).contains("Content-Type must be application/json, got text/plain");
    h.put("Content-Type", "application/json; charset=utf-8");
    assertThat(http.post(ping, h).statusCode()).isEqualTo(200);
  }

  @Test
  void badJsonIsAParseErrorAndBadShapesAreInvalidRequests() throws Exception {
    String id = http.initialize(V);
    HttpResponse<String> parse = http.post("{not json", session(id));
    assertThat(parse.statusCode()).isEqualTo(400);
    assertThat(errorCode(parse)).isEqualTo(-32700);
    assertThat(McpHttp.json(parse.body()).get("id").isNull()).isTrue();
    HttpResponse<String> shape =
        http.post("{\"jsonrpc\":\"1.0\",\"id\":1,\"method\":\"ping\"}", session(id));
    assertThat(shape.statusCode()).isEqualTo(400);
    assertThat(errorCode(shape)).isEqualTo(-32600);
    HttpResponse<String> unknown =
        http.post("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"no/such\"}", session(id));
    assertThat(unknown.statusCode()).isEqualTo(200);
    assertThat(errorCode(unknown)).isEqualTo(-32601);
  }

  @Test
  void batchesOnlyFor20250326() throws Exception {
    String batch =
        "[{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\"},"
            + "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/x\"},"
            + McpHttp.call(2, "plain")
            + "]";
    String newer = http.initialize("2025-06-18");
    HttpResponse<String> refused =
        http.post(batch, Map.of("Mcp-Session-Id", newer, "MCP-Protocol-Version", "2025-06-18"));
    assertThat(refused.statusCode()).isEqualTo(400);
    assertThat(refused.body()).contains("batches are only accepted from 2025-03-26 clients");
    String old = http.initialize("2025-03-26");
    HttpResponse<String> ok = http.post(batch, Map.of("Mcp-Session-Id", old));
    assertThat(ok.statusCode()).isEqualTo(200);
    JsonNode array = McpHttp.json(ok.body());
    assertThat(array.isArray()).isTrue();
    assertThat(array.size()).isEqualTo(2);
    List<Integer> ids = new ArrayList<>();
    array.forEach(e -> ids.add(e.path("id").asInt()));
    assertThat(ids).containsExactlyInAnyOrder(1, 2);
    HttpResponse<String> init =
        http.post("[" + McpHttp.initializeBody("2025-03-26") + "]", Map.of());
    assertThat(init.statusCode()).isEqualTo(400);
    assertThat(init.body()).contains("initialize must not be part of a JSON-RPC batch");
  }

  @Test
  void requestsAreAnsweredWithJsonUnlessTheHandlerSendsSomethingFirst() throws Exception {
    String id = http.initialize(V);
    HttpResponse<String> plain = http.post(McpHttp.call(1, "plain"), session(id));
    assertThat(plain.headers().firstValue("Content-Type").orElse(""))
        .startsWith("application/json");
    assertThat(plain.body()).contains("\"text\":\"plain\"");
    try (McpHttp.Events events = http.postStream(McpHttp.call(2, "chatty"), session(id))) {
      SseParser.Event priming = events.next();
      assertThat(priming.data()).isEmpty();
      assertThat(priming.id()).isNotEmpty();
      assertThat(priming.retry()).isEqualTo(1000);
      JsonNode log = McpHttp.json(events.next().data());
      assertThat(log.path("method").asString()).isEqualTo("notifications/message");
      assertThat(log.path("params").path("data").asString()).isEqualTo("one");
      JsonNode progress = McpHttp.json(events.next().data());
      assertThat(progress.path("method").asString()).isEqualTo("notifications/progress");
      assertThat(progress.path("params").path("progressToken").asString()).isEqualTo("p2");
      JsonNode debug = McpHttp.json(events.next().data());
      assertThat(debug.path("params").path("data").asString()).isEqualTo("two");
      JsonNode result = McpHttp.json(events.next().data());
      assertThat(result.path("id").asInt()).isEqualTo(2);
      assertThat(result.path("result").path("content").get(0).path("text").asString())
          .isEqualTo("done");
      assertThat(events.awaitEnd()).as("the stream ends after the response").isTrue();
    }
  }

  @Test
  void logLevelFiltersLogNotifications() throws Exception {
    String id = http.initialize(V);
    HttpResponse<String> set =
        http.post(
            "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"logging/setLevel\",\"params\":{\"level\":\"info\"}}",
            session(id));
    assertThat(McpHttp.json(set.body()).path("result").isObject()).isTrue();
    try (McpHttp.Events events = http.postStream(McpHttp.call(2, "chatty"), session(id))) {
      events.next(); // priming
      assertThat(events.next().data()).contains("\"one\"");
      assertThat(events.next().data()).contains("notifications/progress");
      assertThat(events.next().data()).contains("\"result\""); // "two" (debug) filtered out
    }
    HttpResponse<String> bad =
        http.post(
            "{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"logging/setLevel\",\"params\":{\"level\":\"loud\"}}",
            session(id));
    assertThat(errorCode(bad)).isEqualTo(-32602);
  }

  @Test
  void noPrimingEventForClientsBefore20251125() throws Exception {
    String id = http.initialize("2025-06-18");
    try (McpHttp.Events events =
        http.postStream(
            McpHttp.call(1, "chatty"),
            Map.of("Mcp-Session-Id", id, "MCP-Protocol-Version", "2025-06-18"))) {
      SseParser.Event first = events.next();
      assertThat(first.data()).contains("notifications/message");
      assertThat(first.retry()).isEqualTo(-1);
      assertThat(first.id()).isNotEmpty();
    }
  }

  @Test
  void standaloneGetStreamAtMostOnceAnd405WhenDisabled() throws Exception {
    String id = http.initialize(V);
    try (McpHttp.Events first = http.get(session(id))) {
      assertThat(first.next().data()).isEmpty(); // priming: the stream is attached now
      Map<String, String> h = new java.util.HashMap<>(session(id));
      h.put("Accept", "text/event-stream");
      HttpResponse<String> second = http.send("GET", h);
      assertThat(second.statusCode()).isEqualTo(409);
      assertThat(second.body()).contains("Only one standalone SSE stream");
      // subscribed resource updates arrive on it
      http.post(
          "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"resources/subscribe\",\"params\":{\"uri\":\"test://r\"}}",
          session(id));
      transport.resourceUpdated("test://r");
      JsonNode update = McpHttp.json(first.next().data());
      assertThat(update.path("method").asString()).isEqualTo("notifications/resources/updated");
      // DELETE ends the session and its stream
      assertThat(http.send("DELETE", session(id)).statusCode()).isEqualTo(200);
      assertThat(first.awaitEnd()).isTrue();
    }
    start(b -> b.standaloneGet(false));
    String other = http.initialize(V);
    Map<String, String> h = new java.util.HashMap<>(session(other));
    h.put("Accept", "text/event-stream");
    HttpResponse<String> disabled = http.send("GET", h);
    assertThat(disabled.statusCode()).isEqualTo(405);
    assertThat(disabled.headers().firstValue("Allow")).isPresent();
  }

  @Test
  void twoConcurrentStandaloneGetsNeverBothGetAStream() throws Exception {
    String id = http.initialize(V);
    Map<String, String> h = withAccept(session(id));
    java.util.concurrent.CompletableFuture<Integer> a =
        java.util.concurrent.CompletableFuture.supplyAsync(() -> headStatus(h));
    java.util.concurrent.CompletableFuture<Integer> b =
        java.util.concurrent.CompletableFuture.supplyAsync(() -> headStatus(h));
    assertThat(List.of(a.get(20, TimeUnit.SECONDS), b.get(20, TimeUnit.SECONDS)))
        .containsExactlyInAnyOrder(200, 409);
  }

  /** The status of a GET, reading only the head (the stream stays open until the test ends). */
  private int headStatus(Map<String, String> headers) {
    try {
      java.net.http.HttpRequest.Builder r = java.net.http.HttpRequest.newBuilder(http.uri).GET();
      headers.forEach(r::header);
      return http.client.send(r.build(), HttpResponse.BodyHandlers.ofInputStream()).statusCode();
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  @Test
  void otherMethodsAre405WithAllow() throws Exception {
    HttpResponse<String> r = http.send("PUT", Map.of());
    assertThat(r.statusCode()).isEqualTo(405);
    assertThat(r.headers().firstValue("Allow").orElse("")).isEqualTo("GET, POST, DELETE");
  }

  @Test
  void originOutsideTheAllowListIs403() throws Exception {
    HttpResponse<String> evil =
        http.post(McpHttp.initializeBody(V), Map.of("Origin", "http://evil.example.com"));
    assertThat(evil.statusCode()).isEqualTo(403);
    assertThat(evil.body()).contains("Origin not allowed: http://evil.example.com");
    HttpResponse<String> local =
        http.post(McpHttp.initializeBody(V), Map.of("Origin", "http://localhost:3000"));
    assertThat(local.statusCode()).isEqualTo(200);
    HttpResponse<String> listed =
        http.post(McpHttp.initializeBody(V), Map.of("Origin", "https://app.example.com"));
    assertThat(listed.statusCode()).isEqualTo(200);
  }

  @Test
  void hostOutsideTheAllowListIs403() throws Exception {
    assertThat(rawStatus("evil.example.com:" + server.port())).isEqualTo(403);
    assertThat(rawStatus("localhost:" + server.port())).isEqualTo(200);
    assertThat(rawStatus("[::1]:" + server.port())).isEqualTo(200);
  }

  private int rawStatus(String host) throws Exception {
    byte[] body = McpHttp.initializeBody(V).getBytes(StandardCharsets.UTF_8);
    try (Socket s = new Socket("127.0.0.1", server.port())) {
      s.setSoTimeout(20_000);
      OutputStream out = s.getOutputStream();
      out.write(
          ("POST /mcp HTTP/1.1\r\nHost: "
                  + host
                  + "\r\nAccept: application/json, text/event-stream\r\n"
                  + "Content-Type: application/json\r\nConnection: close\r\nContent-Length: "
                  + body.length
                  + "\r\n\r\n")
              .getBytes(StandardCharsets.US_ASCII));
      out.write(body);
      out.flush();
      InputStream in = s.getInputStream();
      String head = new String(in.readNBytes(12), StandardCharsets.US_ASCII);
      return Integer.parseInt(head.substring(9, 12));
    }
  }

  @Test
  void serverClosedStreamIsResumedWithLastEventIdOnlyForThatStream() throws Exception {
    String id = http.initialize(V);
    // another stream of the session, with its own events
    try (McpHttp.Events other = http.postStream(McpHttp.call(9, "chatty"), session(id))) {
      other.next();
      assertThat(other.awaitEnd()).isTrue();
    }
    String lastId;
    try (McpHttp.Events events = http.postStream(McpHttp.call(1, "reconnect"), session(id))) {
      SseParser.Event priming = events.next();
      assertThat(priming.retry()).isEqualTo(1000);
      SseParser.Event log = events.next();
      assertThat(log.data()).contains("before");
      lastId = log.id();
      assertThat(events.awaitEnd()).as("the server closes the connection mid-call").isTrue();
      assertThat(events.events).isEmpty();
    }
    release.countDown();
    Map<String, String> h = new java.util.HashMap<>(session(id));
    h.put("Last-Event-ID", lastId);
    try (McpHttp.Events resumed = http.get(h)) {
      JsonNode result = McpHttp.json(resumed.next().data());
      assertThat(result.path("id").asInt()).isEqualTo(1);
      assertThat(result.path("result").path("content").get(0).path("text").asString())
          .isEqualTo("after reconnect");
      assertThat(resumed.awaitEnd()).isTrue();
      assertThat(resumed.events).isEmpty(); // nothing of the other stream
    }
    h.put("Last-Event-ID", "42_1");
    HttpResponse<String> unknown = http.send("GET", withAccept(h));
    assertThat(unknown.statusCode()).isEqualTo(400);
    assertThat(unknown.body()).contains("was not issued on a stream of this session");
  }

  @Test
  void droppedPostStreamIsResumedAfterTheLastSeenEvent() throws Exception {
    String id = http.initialize(V);
    String primingId;
    try (McpHttp.Events events = http.postStream(McpHttp.call(1, "slow"), session(id))) {
      primingId = events.next().id();
      assertThat(events.next().data()).contains("before");
    } // the client drops the connection; the call goes on
    release.countDown();
    Map<String, String> h = new java.util.HashMap<>(session(id));
    h.put("Last-Event-ID", primingId);
    try (McpHttp.Events resumed = http.get(h)) {
      assertThat(resumed.next().data()).contains("before");
      JsonNode result = McpHttp.json(resumed.next().data());
      assertThat(result.path("result").path("content").get(0).path("text").asString())
          .isEqualTo("after reconnect");
    }
  }

  @Test
  void serverToClientRequestIsAnsweredByAPostedResponse() throws Exception {
    String id = http.initialize(V);
    try (McpHttp.Events events = http.postStream(McpHttp.call(1, "ask"), session(id))) {
      events.next(); // priming
      JsonNode request = McpHttp.json(events.next().data());
      assertThat(request.path("method").asString()).isEqualTo("sampling/createMessage");
      HttpResponse<String> answer =
          http.post(
              "{\"jsonrpc\":\"2.0\",\"id\":\""
                  + request.path("id").asString()
                  + "\",\"result\":{\"text\":\"hi\"}}",
              session(id));
      assertThat(answer.statusCode()).isEqualTo(202);
      JsonNode result = McpHttp.json(events.next().data());
      assertThat(result.path("result").path("content").get(0).path("text").asString())
          .isEqualTo("LLM: hi");
    }
  }

  @Test
  void unknownToolIsInvalidParams() throws Exception {
    String id = http.initialize(V);
    HttpResponse<String> r = http.post(McpHttp.call(1, "missing"), session(id));
    assertThat(errorCode(r)).isEqualTo(-32602);
    assertThat(r.body()).contains("Unknown tool: missing");
  }

  @Test
  void cancelledRequestGetsNoResponse() throws Exception {
    String id = http.initialize(V);
    java.util.concurrent.CompletableFuture<HttpResponse<String>> call =
        java.util.concurrent.CompletableFuture.supplyAsync(
            () -> {
              try {
                return http.post(McpHttp.call(7, "block"), session(id));
              } catch (Exception e) {
                throw new IllegalStateException(e);
              }
            });
    assertThat(blocked.await(20, TimeUnit.SECONDS)).isTrue();
    HttpResponse<String> cancel =
        http.post(
            "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/cancelled\",\"params\":{\"requestId\":7}}",
            session(id));
    assertThat(cancel.statusCode()).isEqualTo(202);
    HttpResponse<String> answer = call.get(20, TimeUnit.SECONDS);
    assertThat(answer.statusCode()).isEqualTo(202);
    assertThat(answer.body()).isEmpty();
    // the session goes on
    assertThat(http.post(McpHttp.call(8, "plain"), session(id)).body()).contains("plain");
  }

  @Test
  void sessionLimit() throws Exception {
    start(b -> b.maxSessions(1));
    String first = http.initialize(V);
    HttpResponse<String> full = http.post(McpHttp.initializeBody(V), Map.of());
    assertThat(full.statusCode()).isEqualTo(503);
    assertThat(full.body()).contains("too many MCP sessions (1)");
    assertThat(http.send("DELETE", session(first)).statusCode()).isEqualTo(200);
    assertThat(http.post(McpHttp.initializeBody(V), Map.of()).statusCode()).isEqualTo(200);
    // idle expiry: McpSessionExpiryTest
  }

  private static Map<String, String> withAccept(Map<String, String> h) {
    Map<String, String> out = new java.util.HashMap<>(h);
    out.put("Accept", "text/event-stream");
    return out;
  }
}
