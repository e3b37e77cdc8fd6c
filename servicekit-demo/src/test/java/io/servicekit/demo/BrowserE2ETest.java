package io.servicekit.demo;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.servicekit.jetty.ServiceKitServer;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.json.JsonMapper;

/**
 * The demo in a real browser: Debian's Chromium driven by {@code playwright-core} (no browser
 * download) through {@code src/test/browser/browser-e2e.mjs}. The pages use the JavaScript client
 * bundle ({@code clients/js}, served at {@code /js/servicekit.js}). Covers the echo page (text and
 * binary, and a large text echoed over the browser's own permessage-deflate offer), chat between
 * two chat pages, the live clock with publish, the SSE page surviving a server-side drop without
 * gaps or duplicates, the gRPC game across two pages (events, commands, live state), and
 * reconnection after a server restart: the script asks this test (a small control endpoint, {@code
 * POST /restart}) to stop the demo server and start a new one on the same port, and the pages'
 * clients must reconnect and work; the SSE page, whose Last-Event-ID is of the old server's epoch,
 * must show a {@code resync} and then count the new server's ticks without gaps. Screenshots of the
 * pages at a failing check are kept in {@code target/browser-screenshots} (CI copies them to its
 * artifacts).
 *
 * <p>Without a {@code chromium} on the {@code PATH} the test is skipped with a message, so a bare
 * {@code mvn test} works anywhere; CI installs Chromium and sets {@code
 * -Dservicekit.requireBrowser=true}, which turns a missing browser into a failure.
 */
class BrowserE2ETest {
  private static final JsonMapper JSON = JsonMapper.builder().build();

  @Test
  @SuppressWarnings("unchecked")
  void theDemoWorksInChromium() throws Exception {
    String chromium = chromium();
    NodeProject project = NodeProject.installed("browser", "playwright-core");
    Path shots =
        Path.of(System.getProperty("basedir", System.getProperty("user.dir")))
            .resolve("target/browser-screenshots")
            .toAbsolutePath();
    deleteScreenshots(shots); // only this run's failures should be there
    AtomicReference<ServiceKitServer> current = new AtomicReference<>(DemoServer.create(0).start());
    int port = current.get().port();
    HttpServer control =
        HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    control.createContext("/restart", exchange -> restart(exchange, current, port));
    control.start();
    try {
      NodeProject.Result result =
          project.node(
              Duration.ofMinutes(5),
              "browser-e2e.mjs",
              current.get().uri().toString(),
              chromium,
              shots.toString(),
              "http://127.0.0.1:" + control.getAddress().getPort());
      assertThat(result.exit())
          .as("browser-e2e.mjs failed (screenshots in %s):%n%s", shots, result.output())
          .isZero();
      Map<String, Object> summary = JSON.readValue(result.lastLine(), Map.class);
      List<Map<String, Object>> checks = (List<Map<String, Object>>) summary.get("checks");
      assertThat(checks).extracting(c -> c.get("name")).hasSize(9);
      assertThat(checks).allSatisfy(c -> assertThat(c).as(c.toString()).containsEntry("ok", true));
    } finally {
      control.stop(0);
      current.get().close();
    }
  }

  /**
   * The Chromium binary; without one the test is skipped, or fails with {@code
   * -Dservicekit.requireBrowser=true}.
   */
  static String chromium() {
    return NodeProject.findOnPath("chromium", "chromium-browser")
        .orElseGet(
            () -> {
              String why =
                  "no chromium on the PATH: install Debian's chromium package to run the browser"
                      + " tests";
              if (Boolean.getBoolean("servicekit.requireBrowser")) {
                return fail(why + " (servicekit.requireBrowser is set)");
              }
              Assumptions.abort(why);
              return null;
            });
  }

  private static void deleteScreenshots(Path dir) throws IOException {
    if (!Files.isDirectory(dir)) {
      return;
    }
    try (Stream<Path> files = Files.list(dir)) {
      for (Path file : files.filter(f -> f.toString().endsWith(".png")).toList()) {
        Files.delete(file);
      }
    }
  }

  /** {@code POST /restart}: stops the demo server and starts a new one on the same port. */
  private static void restart(
      HttpExchange exchange, AtomicReference<ServiceKitServer> current, int port)
      throws IOException {
    int status;
    String body;
    if (!"POST".equals(exchange.getRequestMethod())) {
      status = 405;
      body = "method must be POST, was " + exchange.getRequestMethod();
    } else {
      try {
        current.get().close();
        current.set(DemoServer.create(port).start());
        status = 200;
        body = "restarted on port " + port;
      } catch (Exception e) {
        status = 500;
        body = "restart failed: " + e;
      }
    }
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    exchange.sendResponseHeaders(status, bytes.length);
    try (var out = exchange.getResponseBody()) {
      out.write(bytes);
    }
  }
}
