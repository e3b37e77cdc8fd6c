package io.servicekit.demo.mcp;

import static org.assertj.core.api.Assertions.assertThat;

import io.servicekit.jetty.ServiceKitServer;
import io.servicekit.mcp.stdio.ContentLengthFraming;
import io.servicekit.testkit.DocSnippets;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** Runs the samples of docs/mcp.md and checks that the docs quote compiled code. */
class McpExamplesTest {
  private final HttpClient client = HttpClient.newHttpClient();

  private HttpResponse<String> post(URI uri, String session, String body) throws Exception {
    HttpRequest.Builder b =
        HttpRequest.newBuilder(uri)
            .timeout(Duration.ofSeconds(20))
            .header("Accept", "application/json, text/event-stream")
            .header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString(body));
    if (session != null) {
      b.header("Mcp-Session-Id", session).header("MCP-Protocol-Version", "2025-06-18");
    }
    return client.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void exampleServerAnswersOverHttp() throws Exception {
    try (ServiceKitServer http = McpExamples.mount(McpExamples.server(), 0).start()) {
      URI uri = URI.create("http://127.0.0.1:" + http.port() + "/mcp");
      HttpResponse<String> init =
          post(
              uri,
              null,
              "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"initialize\",\"params\":{"
                  + "\"protocolVersion\":\"2025-06-18\",\"capabilities\":{},"
                  + "\"clientInfo\":{\"name\":\"t\",\"version\":\"1\"}}}");
      assertThat(init.statusCode()).isEqualTo(200);
      assertThat(init.body()).contains("\"instructions\":\"Ask for the weather of a city.\"");
      String session = init.headers().firstValue("Mcp-Session-Id").orElseThrow();
      // no progress token: the log message alone switches the answer to SSE
      HttpResponse<String> call =
          post(
              uri,
              session,
              "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"tools/call\","
                  + "\"params\":{\"name\":\"forecast\",\"arguments\":{\"city\":\"Oslo\"}}}");
      assertThat(call.headers().firstValue("Content-Type").orElse(""))
          .startsWith("text/event-stream");
      assertThat(call.body()).contains("looking up Oslo").contains("Sunny in Oslo");
      assertThat(call.body()).doesNotContain("notifications/progress");
      HttpResponse<String> blank =
          post(
              uri,
              session,
              "{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"tools/call\","
                  + "\"params\":{\"name\":\"forecast\",\"arguments\":{\"city\":\" \"}}}");
      assertThat(blank.body()).contains("-32602").contains("city must not be blank");
      HttpResponse<String> prompt =
          post(
              uri,
              session,
              "{\"jsonrpc\":\"2.0\",\"id\":4,\"method\":\"prompts/get\","
                  + "\"params\":{\"name\":\"plan_trip\",\"arguments\":{\"city\":\"Rome\"}}}");
      assertThat(prompt.body()).contains("Plan a day in Rome");
      HttpResponse<String> read =
          post(
              uri,
              session,
              "{\"jsonrpc\":\"2.0\",\"id\":5,\"method\":\"resources/read\","
                  + "\"params\":{\"uri\":\"weather://cities\"}}");
      assertThat(read.body()).contains("Paris\\nOslo");
    }
  }

  @Test
  void samplingExampleRefusesClientsWithoutSampling() throws Exception {
    try (ServiceKitServer http = McpExamples.mount(McpExamples.sampling(), 0).start()) {
      URI uri = URI.create("http://127.0.0.1:" + http.port() + "/mcp");
      HttpResponse<String> init =
          post(
              uri,
              null,
              "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"initialize\",\"params\":{"
                  + "\"protocolVersion\":\"2025-06-18\",\"capabilities\":{},"
                  + "\"clientInfo\":{\"name\":\"t\",\"version\":\"1\"}}}");
      String session = init.headers().firstValue("Mcp-Session-Id").orElseThrow();
      HttpResponse<String> call =
          post(
              uri,
              session,
              "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"tools/call\",\"params\":{\"name\":\"haiku\"}}");
      assertThat(call.body()).contains("\"isError\":true").contains("this client cannot sample");
    }
  }

  @Test
  void askOnceWorksOnBothRevisions() throws Exception {
    try (ServiceKitServer http = McpExamples.mount(McpExamples.askOnce(), 0).start()) {
      URI uri = URI.create("http://127.0.0.1:" + http.port() + "/mcp");
      // 2026-07-28: round 1 asks, the retry with the answer and the sealed state books
      String meta =
          "\"_meta\":{\"io.modelcontextprotocol/protocolVersion\":\"2026-07-28\","
              + "\"io.modelcontextprotocol/clientCapabilities\":{\"elicitation\":{}}}";
      HttpResponse<String> round1 =
          postModern(
              uri,
              "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/call\",\"params\":{\"name\":\"book\","
                  + "\"arguments\":{},"
                  + meta
                  + "}}");
      assertThat(round1.body())
          .contains("\"resultType\":\"input_required\"")
          .contains("What time?");
      String state =
          io.servicekit.mcp.McpJson.parse(round1.body())
              .path("result")
              .path("requestState")
              .asString();
      HttpResponse<String> round2 =
          postModern(
              uri,
              "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"tools/call\",\"params\":{\"name\":\"book\","
                  + "\"arguments\":{},\"inputResponses\":{\"time\":{\"action\":\"accept\","
                  + "\"content\":{\"time\":\"19:30\"}}},\"requestState\":\""
                  + state
                  + "\","
                  + meta
                  + "}}");
      assertThat(round2.body())
          .contains("Booked for 19:30")
          .contains("\"resultType\":\"complete\"");

      // 2025-11-25: the same tool sends elicitation/create on the call's stream
      HttpResponse<String> init =
          post(
              uri,
              null,
              "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"initialize\",\"params\":{"
                  + "\"protocolVersion\":\"2025-11-25\",\"capabilities\":{},"
                  + "\"clientInfo\":{\"name\":\"t\",\"version\":\"1\"}}}");
      String session = init.headers().firstValue("Mcp-Session-Id").orElseThrow();
      HttpResponse<String> legacy =
          post(
              uri,
              session,
              "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"tools/call\",\"params\":{\"name\":\"book\"}}");
      assertThat(legacy.body())
          .as("this client declared no elicitation capability")
          .contains("elicitation")
          .contains("\"code\":-32600");
    }
  }

  private HttpResponse<String> postModern(URI uri, String body) throws Exception {
    return client.send(
        HttpRequest.newBuilder(uri)
            .timeout(Duration.ofSeconds(20))
            .header("Accept", "application/json, text/event-stream")
            .header("Content-Type", "application/json")
            .header("MCP-Protocol-Version", "2026-07-28")
            .header("Mcp-Method", "tools/call")
            .header("Mcp-Name", "book")
            .POST(HttpRequest.BodyPublishers.ofString(body))
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void framingLoopEchoes() throws Exception {
    ByteArrayOutputStream input = new ByteArrayOutputStream();
    ContentLengthFraming.write(input, "{\"id\":1}".getBytes(StandardCharsets.UTF_8));
    ContentLengthFraming.write(input, "{\"id\":2}".getBytes(StandardCharsets.UTF_8));
    ByteArrayOutputStream output = new ByteArrayOutputStream();
    McpExamples.stdio(new ByteArrayInputStream(input.toByteArray()), output, message -> message);
    assertThat(output.toByteArray()).isEqualTo(input.toByteArray());
  }

  /** Every java block of docs/mcp.md is a region of a compiled source file. */
  @Test
  void docsQuoteCompiledCode() {
    DocSnippets.assertJavaBlocksCompiled(
        Path.of("../docs/mcp.md"), 6, Path.of("src/main/java/io/servicekit/demo/mcp"));
  }
}
