package io.servicekit.demo;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.servicekit.testkit.TestWsClient;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The demo as a real process, stopped with SIGTERM: WebSocket clients get 1001, SSE clients a final
 * {@code shutdown} event, and the process exits 0 well within its drain timeout.
 */
class DemoShutdownProcessTest {
  private static final Pattern LISTENING = Pattern.compile("listening on (http://\\S+?)/?$");

  @TempDir Path logs;

  @Test
  void sigtermClosesWebSocketsWith1001EndsSseWithAFinalEventAndExitsCleanly() throws Exception {
    String java = ProcessHandle.current().info().command().orElseThrow();
    Path err = logs.resolve("demo.err");
    ProcessBuilder builder =
        new ProcessBuilder(
                java, "-cp", System.getProperty("java.class.path"), DemoServer.class.getName())
            .redirectOutput(logs.resolve("demo.out").toFile())
            .redirectError(err.toFile());
    builder.environment().put("PORT", "0");
    builder.environment().put("DRAIN_TIMEOUT_SECONDS", "10");
    Process process = builder.start();
    try {
      URI base =
          URI.create(
              await()
                  .atMost(Duration.ofSeconds(60))
                  .until(() -> listening(err), o -> o.isPresent() || !process.isAlive())
                  .orElseThrow(() -> new AssertionError("demo did not start:\n" + read(err))));

      TestWsClient chat =
          TestWsClient.connect(URI.create("ws://" + base.getAuthority() + "/ws/chat?username=ann"));
      assertThat(chat.awaitJsonOfType("welcome")).isNotNull();

      HttpResponse<java.io.InputStream> sse =
          HttpClient.newHttpClient()
              .send(
                  HttpRequest.newBuilder(base.resolve("/events"))
                      .header("Accept", "text/event-stream")
                      .build(),
                  HttpResponse.BodyHandlers.ofInputStream());
      assertThat(sse.statusCode()).isEqualTo(200);
      BufferedReader events =
          new BufferedReader(new InputStreamReader(sse.body(), StandardCharsets.UTF_8));
      CompletableFuture<List<String>> rest =
          CompletableFuture.supplyAsync(
              () -> {
                List<String> lines = new ArrayList<>();
                try {
                  for (String line; (line = events.readLine()) != null; ) {
                    lines.add(line);
                  }
                } catch (java.io.IOException e) {
                  lines.add("<" + e + ">");
                }
                return lines;
              });
      process.destroy(); // SIGTERM

      TestWsClient.Close close = chat.awaitClose();
      assertThat(close.code()).isEqualTo(1001);
      assertThat(rest.get(20, TimeUnit.SECONDS)).contains("event: shutdown");
      assertThat(process.waitFor(20, TimeUnit.SECONDS)).as("exited").isTrue();
      assertThat(process.exitValue()).as(read(err)).isZero();
    } finally {
      process.destroyForcibly();
    }
  }

  private static Optional<String> listening(Path err) throws java.io.IOException {
    for (String line : Files.readAllLines(err)) {
      Matcher m = LISTENING.matcher(line.strip());
      if (m.find()) {
        return Optional.of(m.group(1));
      }
    }
    return Optional.empty();
  }

  private static String read(Path file) {
    try {
      return Files.readString(file);
    } catch (java.io.IOException e) {
      return "<" + e + ">";
    }
  }
}
