package io.servicekit.demo;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.servicekit.jetty.ServiceKitServer;
import java.io.File;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class DemoServerTest {
  private static ServiceKitServer server;

  @BeforeAll
  static void start() throws Exception {
    server = DemoServer.create(0).start();
  }

  @AfterAll
  static void stop() throws Exception {
    server.stop();
  }

  @Test
  void healthzAnswersOkAsJson() throws Exception {
    HttpResponse<String> response = Http.get(server.uri().resolve("/healthz"));
    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(response.headers().firstValue("Content-Type")).hasValue("application/json");
    assertThat(Http.json(response)).containsExactlyEntriesOf(java.util.Map.of("status", "ok"));
  }

  @Test
  void healthzRefusesOtherMethods() throws Exception {
    HttpResponse<String> response =
        Http.send(
            HttpRequest.newBuilder(server.uri().resolve("/healthz"))
                .DELETE()
                .header("Accept", "application/json"));
    assertThat(response.statusCode()).isEqualTo(405);
    assertThat(response.headers().firstValue("Allow")).hasValue("GET, HEAD");
    assertThat(Http.json(response).get("error"))
        .isEqualTo("method must be GET or HEAD, was DELETE");
  }

  @Test
  void rootServesTheDemoPage() throws Exception {
    for (String path : new String[] {"/", "/index.html"}) {
      HttpResponse<String> response = Http.get(server.uri().resolve(path));
      assertThat(response.statusCode()).as(path).isEqualTo(200);
      assertThat(response.headers().firstValue("Content-Type"))
          .hasValue("text/html; charset=utf-8");
      assertThat(response.body())
          .contains("<title>ServiceKit demo</title>")
          .contains("/echo", "/ws/chat", "/ws/time", "/publish")
          // The page uses the JavaScript client, which answers the JSON heartbeat.
          .contains("<script src=\"/js/servicekit.js\"></script>", "new ServiceKit.WsClient(")
          .contains("href=\"/chat.html\"", "href=\"/events.html\"", "href=\"/game/\"");
    }
  }

  @Test
  void chatPageUsesTheClient() throws Exception {
    HttpResponse<String> response = Http.get(server.uri().resolve("/chat.html"));
    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(response.headers().firstValue("Content-Type")).hasValue("text/html; charset=utf-8");
    assertThat(response.body())
        .contains("<title>ServiceKit chat</title>", "/js/servicekit.js", "/ws/chat?");
  }

  @Test
  void servesTheJavaScriptClientBundle() throws Exception {
    HttpResponse<String> response = Http.get(server.uri().resolve("/js/servicekit.js"));
    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(response.headers().firstValue("Content-Type"))
        .hasValue("text/javascript; charset=utf-8");
    // the IIFE bundle defines the global ServiceKit with the clients
    assertThat(response.body())
        .startsWith("\"use strict\";\nvar ServiceKit = ")
        .contains("WsClient", "GrpcWsClient", "SseClient", "StreamableClient");
    HttpResponse<String> module = Http.get(server.uri().resolve("/js/servicekit.mjs"));
    assertThat(module.statusCode()).isEqualTo(200);
    assertThat(module.body()).contains("export {");
  }

  @Test
  void unknownPathsAre404() throws Exception {
    HttpResponse<String> response = Http.get(server.uri().resolve("/no/such/page"));
    assertThat(response.statusCode()).isEqualTo(404);
    assertThat(Http.json(response).get("error")).isEqualTo("not found: /no/such/page");
  }

  @Test
  void parsePortDefaultsTo8080() {
    assertThat(DemoServer.parsePort(null)).isEqualTo(8080);
    assertThat(DemoServer.parsePort("")).isEqualTo(8080);
    assertThat(DemoServer.parsePort("  ")).isEqualTo(8080);
  }

  @Test
  void parsePortAcceptsTheWholeRange() {
    assertThat(DemoServer.parsePort("0")).isZero();
    assertThat(DemoServer.parsePort("1")).isEqualTo(1);
    assertThat(DemoServer.parsePort(" 9090 ")).isEqualTo(9090);
    assertThat(DemoServer.parsePort("65535")).isEqualTo(65535);
  }

  @ParameterizedTest
  @ValueSource(strings = {"abc", "-1", "+80", "80.0", "1e3", "8080x", "0x50", "99999999999"})
  void parsePortRejectsNonNumbers(String value) {
    assertThatThrownBy(() -> DemoServer.parsePort(value))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("PORT must be a decimal number from 0 to 65535, got \"" + value + "\"");
  }

  @Test
  void parsePortRejectsOutOfRange() {
    assertThatThrownBy(() -> DemoServer.parsePort("65536"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("PORT must be from 0 to 65535, got 65536");
  }

  @Test
  void mainExitsWith2OnABadPort() throws Exception {
    String java =
        System.getProperty("java.home") + File.separator + "bin" + File.separator + "java";
    ProcessBuilder builder =
        new ProcessBuilder(
                java, "-cp", System.getProperty("java.class.path"), DemoServer.class.getName())
            .redirectErrorStream(true);
    builder.environment().put("PORT", "eighty");
    Process process = builder.start();
    try {
      assertThat(process.waitFor(60, TimeUnit.SECONDS)).as("exited").isTrue();
      String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      assertThat(process.exitValue()).as(output).isEqualTo(2);
      assertThat(output)
          .contains(
              "servicekit-demo: PORT must be a decimal number from 0 to 65535, got \"eighty\"");
    } finally {
      process.destroyForcibly();
    }
  }
}
