package io.servicekit.mcp;

import static org.assertj.core.api.Assertions.assertThat;

import io.servicekit.OriginPolicy;
import io.servicekit.jetty.ServiceKitServer;
import io.servicekit.jetty.StreamableServe;
import java.net.URI;
import java.net.http.HttpResponse;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The MCP endpoint's Origin check (DNS-rebinding protection) uses the one {@link OriginPolicy}: a
 * real Jetty on port 0, an {@code initialize} POST per origin, 403 or 200.
 */
class McpOriginTest {
  private static ServiceKitServer server;
  private static McpHttp http;

  @BeforeAll
  static void start() throws Exception {
    McpServer mcp =
        McpServer.builder("origins", "1.0")
            .tool(
                "plain",
                "answers",
                McpJson.object().put("type", "object"),
                (ctx, args) -> McpJson.toolResult(McpJson.text("plain")))
            .build();
    McpEndpoint transport =
        McpEndpoint.builder(mcp)
            .allowedOrigins(OriginPolicy.of("localhost", "https://app.example.com"))
            .build();
    server =
        ServiceKitServer.builder()
            .port(0)
            .route("/mcp", StreamableServe.handler(transport))
            .build()
            .start();
    http = new McpHttp(URI.create("http://127.0.0.1:" + server.port() + "/mcp"));
  }

  @AfterAll
  static void stop() throws Exception {
    server.close();
  }

  static List<Arguments> origins() {
    return List.of(
        Arguments.of("https://app.example.com", 200),
        Arguments.of("https://app.example.com:443", 200),
        Arguments.of("HTTPS://App.Example.com", 200),
        Arguments.of("http://localhost:6274", 200),
        Arguments.of("http://127.0.0.1:6274", 200),
        Arguments.of("http://[::1]:6274", 200),
        Arguments.of("https://app.example.com/", 403),
        Arguments.of("http://app.example.com", 403),
        Arguments.of("https://evil.example.com", 403),
        Arguments.of("http://localhost.evil.com:6274", 403),
        Arguments.of("null", 403),
        Arguments.of("localhost", 403),
        Arguments.of("https://" + "x".repeat(600) + ".com", 403));
  }

  @ParameterizedTest(name = "{0} -> {1}")
  @MethodSource("origins")
  void originIsCheckedByThePolicy(String origin, int status) throws Exception {
    HttpResponse<String> r =
        http.post(McpHttp.initializeBody("2025-11-25"), Map.of("Origin", origin));
    assertThat(r.statusCode()).isEqualTo(status);
    if (status == 403) {
      assertThat(r.body()).contains("Forbidden: Origin not allowed");
    }
  }
}
