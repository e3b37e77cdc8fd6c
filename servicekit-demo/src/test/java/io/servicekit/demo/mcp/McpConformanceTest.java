package io.servicekit.demo.mcp;

import static org.assertj.core.api.Assertions.assertThat;

import io.servicekit.demo.DemoServer;
import io.servicekit.demo.NodeProject;
import io.servicekit.jetty.ServiceKitServer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Runs the official MCP conformance suite ({@code @modelcontextprotocol/conformance}
 * 0.2.0-alpha.12, pinned in {@code src/test/mcp-conformance/package-lock.json}) in server mode
 * against the demo's {@code /mcp}: the frozen requirement set of revision 2025-11-25 ({@code
 * --requirements 2025-11-25}: every scored scenario, plus the unscored ones the set also runs). The
 * suite needs Node 22; the npm package {@code node@22} in the same project provides the binary, so
 * only Node 18+ with npm must be on the {@code PATH} (for {@code npm ci}). The suite's summary is
 * printed to the test output.
 *
 * <p>Expected failures: none. (The suite reports some checks as WARNING or INFO, which are not
 * failures; docs/mcp.md lists them.) The 2026-07-28 requirement set is not run yet: that revision
 * is not implemented (issue 15).
 */
class McpConformanceTest {
  /** The requirement set run: the 2025-11-25 revision. */
  static final String REQUIREMENTS = "2025-11-25";

  private static NodeProject project;

  @BeforeAll
  static void installDependencies() throws Exception {
    project = NodeProject.installed("mcp-conformance", "@modelcontextprotocol/conformance");
  }

  @Test
  void demoPassesTheWholeRequirementSetOfRevision20251125() throws Exception {
    Path node = project.dir().resolve("node_modules/node/bin/node");
    assertThat(node).as("the node@22 npm package's binary").isExecutable();
    Path cli =
        project.dir().resolve("node_modules/@modelcontextprotocol/conformance/dist/index.js");
    try (ServiceKitServer server = DemoServer.create(0).start()) {
      String url = "http://localhost:" + server.port() + McpDemo.PATH;
      NodeProject.Result listed =
          project.run(
              Duration.ofMinutes(1),
              "conformance-list",
              List.of(
                  node.toString(),
                  cli.toString(),
                  "list",
                  "--server",
                  "--requirements",
                  REQUIREMENTS));
      assertThat(listed.exit()).as(listed.output()).isZero();
      List<String> scenarios = scenarios(listed.stdout());
      assertThat(scenarios)
          .as(listed.output())
          .contains("server-initialize", "tools-call-elicitation");
      Path out = Files.createTempDirectory("mcp-conformance");
      NodeProject.Result result =
          project.run(
              Duration.ofMinutes(10),
              "conformance-server",
              List.of(
                  node.toString(),
                  cli.toString(),
                  "server",
                  "--url",
                  url,
                  "--requirements",
                  REQUIREMENTS,
                  "--output-dir",
                  out.toString()));
      String summary = result.stdout();
      int at = summary.indexOf("=== SUMMARY ===");
      System.out.println(
          "MCP conformance " + REQUIREMENTS + ":\n" + summary.substring(Math.max(0, at)));
      assertThat(result.exit()).as("conformance suite failed:%n%s", result.output()).isZero();
      assertThat(result.stdout())
          .as("a run of the %s requirement set", REQUIREMENTS)
          .contains("Running requirements " + REQUIREMENTS)
          .containsPattern("Total: [1-9][0-9]* passed, 0 failed")
          .doesNotContainPattern("(?m)^\\s*✗");
      for (String scenario : scenarios) {
        assertThat(result.stdout())
            .as("scenario %s passed", scenario)
            .containsPattern(
                "(?m)^\\S+ " + Pattern.quote(scenario) + ": [1-9][0-9]* passed, 0 failed");
      }
    }
  }

  private static List<String> scenarios(String listing) {
    List<String> out = new ArrayList<>();
    boolean server = false;
    for (String line : listing.split("\n")) {
      if (line.startsWith("Server scenarios")) {
        server = true;
      } else if (line.startsWith("Client scenarios")) {
        server = false;
      }
      Matcher m = Pattern.compile("^\\s*-\\s+(\\S+)").matcher(line);
      if (server && m.find()) {
        out.add(m.group(1));
      }
    }
    return out;
  }
}
