package io.servicekit.demo;

import static org.assertj.core.api.Assertions.assertThat;

import io.servicekit.jetty.ServiceKitServer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.json.JsonMapper;

/**
 * The channels page in Debian's Chromium (playwright-core, {@code
 * src/test/browser/channels-e2e.mjs}): presence of two pages, exact recovery of 5 messages
 * published while one page was offline (with "recovered 5 messages"), acknowledged sends, and a
 * leave when a page closes. Skipped without a {@code chromium} on the PATH unless {@code
 * -Dservicekit.requireBrowser=true}.
 */
class ChannelsBrowserTest {
  private static final JsonMapper JSON = JsonMapper.builder().build();

  @Test
  @SuppressWarnings("unchecked")
  void channelsPageRecoversPresenceAndAcksInChromium() throws Exception {
    String chromium = BrowserE2ETest.chromium();
    NodeProject project = NodeProject.installed("browser", "playwright-core");
    Path shots =
        Path.of(System.getProperty("basedir", System.getProperty("user.dir")))
            .resolve("target/browser-screenshots")
            .toAbsolutePath();
    try (ServiceKitServer server = DemoServer.create(0).start()) {
      NodeProject.Result result =
          project.node(
              Duration.ofMinutes(3),
              "channels-e2e.mjs",
              server.uri().toString().replaceAll("/$", ""),
              chromium,
              shots.toString());
      assertThat(result.exit())
          .as("channels-e2e.mjs failed (screenshots in %s):%n%s", shots, result.output())
          .isZero();
      Map<String, Object> summary = JSON.readValue(result.lastLine(), Map.class);
      List<Map<String, Object>> checks = (List<Map<String, Object>>) summary.get("checks");
      assertThat(checks).hasSize(4);
      assertThat(checks).allSatisfy(c -> assertThat(c).as(c.toString()).containsEntry("ok", true));
    }
  }
}
