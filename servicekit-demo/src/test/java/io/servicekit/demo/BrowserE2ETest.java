package io.servicekit.demo;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import io.servicekit.jetty.ServiceKitServer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.json.JsonMapper;

/**
 * The demo in a real browser: Debian's Chromium driven by {@code playwright-core} (no browser
 * download) through {@code src/test/browser/browser-e2e.mjs}. Covers the echo page (text and
 * binary), chat between two pages, the live clock with publish, and the SSE page surviving a
 * server-side drop without gaps or duplicates, and the gRPC game across two pages (events,
 * commands, live state). Screenshots of failing pages are kept in {@code
 * target/browser-screenshots}.
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
    String chromium =
        NodeProject.findOnPath("chromium", "chromium-browser")
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
    NodeProject project = NodeProject.installed("browser", "playwright-core");
    Path shots =
        Path.of(System.getProperty("basedir", System.getProperty("user.dir")))
            .resolve("target/browser-screenshots")
            .toAbsolutePath();
    try (ServiceKitServer server = DemoServer.create(0).start()) {
      NodeProject.Result result =
          project.node(
              Duration.ofMinutes(2),
              "browser-e2e.mjs",
              server.uri().toString(),
              chromium,
              shots.toString());
      assertThat(result.exit())
          .as("browser-e2e.mjs failed (screenshots in %s):%n%s", shots, result.output())
          .isZero();
      Map<String, Object> summary = JSON.readValue(result.lastLine(), Map.class);
      List<Map<String, Object>> checks = (List<Map<String, Object>>) summary.get("checks");
      assertThat(checks).extracting(c -> c.get("name")).hasSize(6);
      assertThat(checks).allSatisfy(c -> assertThat(c).as(c.toString()).containsEntry("ok", true));
    }
  }
}
